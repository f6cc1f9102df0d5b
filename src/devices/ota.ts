import { randomUUID } from 'node:crypto';
import type { DeviceCommand, OtaJob, OtaStatus, Rollout, RolloutTargetKind } from '../model/device-admin.js';
import type { DeviceAdminStore } from '../stores/store.js';
import type { Logger } from '../logger.js';
import type { CommandService } from './commands.js';
import type { FirmwareLibrary } from './firmware.js';
import { DomainError } from '../model/errors.js';

export class OtaError extends DomainError {
  constructor(message: string, field: string, rule: string, status = 400) {
    super(status, message, field, rule);
  }
}

export interface OtaServiceOptions {
  store: DeviceAdminStore;
  commands: CommandService;
  firmware: FirmwareLibrary;
  logger: Logger;
  /** Devices a rollout target names. */
  resolveTarget: (kind: RolloutTargetKind, value: string) => string[];
  /** Where devices fetch images from: `${baseUrl()}/api/v1/firmware/{id}/image`. */
  baseUrl: () => string;
  /** A device that has not finished within this long has failed (and frees its slot). */
  jobTimeoutMs?: number;
}

const ACTIVE: readonly OtaStatus[] = ['sent', 'downloading', 'verifying'];
const REPORTED: readonly OtaStatus[] = ['downloading', 'verifying', 'success', 'failed'];

/**
 * Firmware rollouts: each target device is told by an `ota` command where the image is, its size
 * and sha256; it reports on `devices/{id}/ota`. At most `concurrency` devices update at once.
 */
export class OtaService {
  private rollouts = new Map<string, Rollout>();
  private jobs = new Map<string, OtaJob[]>();
  private timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly opts: OtaServiceOptions) {
    opts.commands.onUpdate((c) => this.onCommand(c));
  }

  async load(): Promise<void> {
    for (const r of await this.opts.store.listRollouts()) {
      this.rollouts.set(r.id, r);
      this.jobs.set(r.id, await this.opts.store.listOtaJobs({ rollout: r.id }));
    }
    for (const r of this.rollouts.values()) {
      if (r.status !== 'running') continue;
      for (const j of this.jobs.get(r.id) ?? []) if (ACTIVE.includes(j.status)) this.armTimeout(j);
      await this.pump(r);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
  }

  listRollouts(): Rollout[] {
    return [...this.rollouts.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  getRollout(id: string): { rollout: Rollout; jobs: OtaJob[] } | undefined {
    const r = this.rollouts.get(id);
    return r && { rollout: { ...r }, jobs: (this.jobs.get(id) ?? []).map((j) => ({ ...j })) };
  }

  jobsOf(device: string): OtaJob[] {
    const out: OtaJob[] = [];
    for (const list of this.jobs.values()) for (const j of list) if (j.device === device) out.push({ ...j });
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async createRollout(
    firmwareId: string,
    target: { kind: RolloutTargetKind; value: string },
    concurrency: number,
  ): Promise<{ rollout: Rollout; jobs: OtaJob[] }> {
    const fw = this.opts.firmware.get(firmwareId);
    if (!fw) throw new OtaError(`firmware ${firmwareId} not found`, 'id', 'not_found', 404);
    const devices = [...new Set(this.opts.resolveTarget(target.kind, target.value))].sort();
    if (!devices.length) throw new OtaError(`no device matches ${target.kind} "${target.value}"`, target.kind, 'matches_devices');
    const now = Date.now();
    const rollout: Rollout = { id: randomUUID(), firmware: fw.id, version: fw.version, target, concurrency, status: 'running', createdAt: now, updatedAt: now };
    const jobs: OtaJob[] = devices.map((device) => ({
      rollout: rollout.id,
      device,
      firmware: fw.id,
      version: fw.version,
      status: 'queued',
      progress: 0,
      reason: null,
      commandId: null,
      startedAt: null,
      finishedAt: null,
      updatedAt: now,
    }));
    // A newer rollout supersedes a device's queued place in an older one.
    for (const list of this.jobs.values()) {
      for (const j of list) {
        if (j.status === 'queued' && devices.includes(j.device)) await this.finishJob(j, 'failed', 'superseded by a newer rollout');
      }
    }
    await this.opts.store.saveRollout(rollout);
    for (const j of jobs) await this.opts.store.saveOtaJob(j);
    this.rollouts.set(rollout.id, rollout);
    this.jobs.set(rollout.id, jobs);
    await this.pump(rollout);
    return this.getRollout(rollout.id)!;
  }

  /**
   * Stops a running rollout: devices still queued are not sent the image (their jobs fail with the
   * reason), while devices already updating finish and report as usual, since an update cannot be
   * recalled safely mid-flash.
   */
  async cancelRollout(id: string): Promise<{ rollout: Rollout; jobs: OtaJob[] }> {
    const r = this.rollouts.get(id);
    if (!r) throw new OtaError(`rollout ${id} not found`, 'id', 'not_found', 404);
    if (r.status !== 'running') throw new OtaError(`rollout ${id} is ${r.status}, not running`, 'status', 'running', 409);
    r.status = 'cancelled';
    r.updatedAt = Date.now();
    await this.opts.store.saveRollout(r);
    for (const j of this.jobs.get(id) ?? []) if (j.status === 'queued') await this.finishJob(j, 'failed', 'rollout cancelled before this device started');
    this.opts.logger.info({ rollout: id }, 'rollout cancelled');
    return this.getRollout(id)!;
  }

  /** A device's report on `devices/{id}/ota`: {status, progress?, reason?, version?}. */
  async report(device: string, payload: Buffer | string): Promise<boolean> {
    let v: { status?: unknown; progress?: unknown; reason?: unknown; rollout?: unknown };
    try {
      v = JSON.parse(payload.toString()) as typeof v;
    } catch {
      return false;
    }
    if (!v || typeof v !== 'object' || !REPORTED.includes(v.status as OtaStatus)) return false;
    const job = this.activeJob(device, typeof v.rollout === 'string' ? v.rollout : undefined);
    if (!job) return false;
    const status = v.status as OtaStatus;
    if (typeof v.progress === 'number' && Number.isFinite(v.progress)) job.progress = Math.min(1, Math.max(job.progress, v.progress));
    if (status === 'success' || status === 'failed') {
      if (status === 'success') job.progress = 1;
      await this.finishJob(job, status, status === 'failed' ? (typeof v.reason === 'string' ? v.reason.slice(0, 500) : 'the device reported failure') : null);
    } else {
      job.status = status;
      job.updatedAt = Date.now();
      await this.opts.store.saveOtaJob(job);
    }
    return true;
  }

  private activeJob(device: string, rollout?: string): OtaJob | undefined {
    for (const [id, list] of this.jobs) {
      if (rollout && id !== rollout) continue;
      const j = list.find((x) => x.device === device && ACTIVE.includes(x.status));
      if (j) return j;
    }
    return undefined;
  }

  private async pump(r: Rollout): Promise<void> {
    if (this.stopped || r.status !== 'running') return;
    const jobs = this.jobs.get(r.id) ?? [];
    let active = jobs.filter((j) => ACTIVE.includes(j.status)).length;
    for (const j of jobs) {
      if (active >= r.concurrency) break;
      if (j.status !== 'queued') continue;
      active++;
      await this.startJob(r, j);
    }
    if (jobs.every((j) => j.status === 'success' || j.status === 'failed')) {
      r.status = 'done';
      r.updatedAt = Date.now();
      await this.opts.store.saveRollout(r);
    }
  }

  private async startJob(r: Rollout, j: OtaJob): Promise<void> {
    const fw = this.opts.firmware.get(r.firmware);
    if (!fw) return this.finishJob(j, 'failed', 'the firmware image was deleted');
    const now = Date.now();
    j.status = 'sent';
    j.startedAt = now;
    j.updatedAt = now;
    const params = { url: `${this.opts.baseUrl()}/api/v1/firmware/${fw.id}/image`, size: fw.size, sha256: fw.sha256, version: fw.version, rollout: r.id };
    try {
      const cmd = await this.opts.commands.create(j.device, 'ota', params);
      j.commandId = cmd.id;
      await this.opts.store.saveOtaJob(j);
      this.armTimeout(j);
    } catch (err) {
      await this.finishJob(j, 'failed', `could not send the ota command: ${(err as Error).message}`);
    }
  }

  private armTimeout(j: OtaJob): void {
    const key = `${j.rollout}/${j.device}`;
    clearTimeout(this.timers.get(key));
    const left = (this.opts.jobTimeoutMs ?? 600_000) - (Date.now() - (j.startedAt ?? Date.now()));
    const t = setTimeout(
      () => {
        this.timers.delete(key);
        if (ACTIVE.includes(j.status)) void this.finishJob(j, 'failed', 'no result from the device in time');
      },
      Math.max(0, left),
    );
    t.unref();
    this.timers.set(key, t);
  }

  private onCommand(c: DeviceCommand): void {
    if (c.name !== 'ota' || (c.status !== 'failed' && c.status !== 'timed_out')) return;
    for (const list of this.jobs.values()) {
      const j = list.find((x) => x.commandId === c.id && ACTIVE.includes(x.status));
      if (j) void this.finishJob(j, 'failed', `ota command ${c.status}: ${c.reason ?? ''}`.trim());
    }
  }

  private async finishJob(j: OtaJob, status: 'success' | 'failed', reason: string | null): Promise<void> {
    const key = `${j.rollout}/${j.device}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const now = Date.now();
    j.status = status;
    j.reason = reason;
    j.finishedAt = now;
    j.updatedAt = now;
    await this.opts.store.saveOtaJob(j);
    this.opts.logger.info({ device: j.device, rollout: j.rollout, status, reason }, 'ota finished');
    const r = this.rollouts.get(j.rollout);
    if (r) await this.pump(r);
  }
}
