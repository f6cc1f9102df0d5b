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
  /** Devices a rollout target names (a list of devices names them itself). */
  resolveTarget: (kind: Exclude<RolloutTargetKind, 'devices'>, value: string) => string[];
  /**
   * Whether the registry has seen the device. A device named by id (device, devices) that has never
   * been seen is refused: it could only hold a slot until the command timeout.
   */
  isKnown: (device: string) => boolean;
  /** Where devices fetch images from: `${baseUrl()}/api/v1/firmware/{id}/image`. */
  baseUrl: () => string;
  /** A device that has not finished within this long has failed (and frees its slot). */
  jobTimeoutMs?: number;
  /**
   * Other nodes share the store: only the node that holds the run-once lease drives rollouts
   * (drive()); every node keeps its copy fresh from the change feed (reloadRollout, reloadDevice).
   */
  shared?: boolean;
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
  /** Whether this node sends the images and times devices out (one node: always; shared store: the lease holder). */
  private driving: boolean;

  constructor(private readonly opts: OtaServiceOptions) {
    this.driving = !opts.shared;
    opts.commands.onUpdate((c) => this.onCommand(c));
  }

  /** Reads every rollout and its jobs from the store; the driver then resumes the running ones. */
  async load(): Promise<void> {
    for (const r of await this.opts.store.listRollouts()) this.merge(r, await this.opts.store.listOtaJobs({ rollout: r.id }));
    if (this.driving) for (const r of this.rollouts.values()) await this.resume(r);
  }

  /**
   * Shared store: the run-once job that drives every node's rollouts from here while this node
   * holds the lease (stopped when it loses it); a new holder picks up from the store.
   */
  drive(): { stop(): void } {
    this.driving = true;
    this.load().catch((err: Error) => this.opts.logger.error({ err: err.message }, 'resuming rollouts failed'));
    return {
      stop: () => {
        this.driving = false;
        this.clearTimers();
      },
    };
  }

  /** A rollout changed in the store (created, cancelled, done) by any node. */
  async reloadRollout(id: string): Promise<void> {
    const r = (await this.opts.store.listRollouts()).find((x) => x.id === id);
    if (!r) return;
    const known = this.rollouts.has(id);
    this.merge(r, known ? [] : await this.opts.store.listOtaJobs({ rollout: id }));
    if (this.driving) await this.resume(this.rollouts.get(id)!);
  }

  /** A device's job changed in the store (started, reported, finished) by any node. */
  async reloadDevice(device: string): Promise<void> {
    const byRollout = new Map<string, OtaJob[]>();
    for (const j of await this.opts.store.listOtaJobs({ device })) byRollout.set(j.rollout, [...(byRollout.get(j.rollout) ?? []), j]);
    for (const [id, jobs] of byRollout) {
      if (!this.rollouts.has(id)) {
        await this.reloadRollout(id);
        continue;
      }
      this.merge(this.rollouts.get(id)!, jobs);
      if (this.driving) await this.resume(this.rollouts.get(id)!);
    }
  }

  /**
   * Takes the store's copy where it is newer than this node's (a change this node made and has
   * not saved yet is newer, and stays). Objects keep their identity: timers and pumps hold them.
   */
  private merge(r: Rollout, jobs: OtaJob[]): void {
    const mine = this.rollouts.get(r.id);
    if (!mine) this.rollouts.set(r.id, r);
    else if (r.updatedAt > mine.updatedAt) Object.assign(mine, r);
    const list = this.jobs.get(r.id) ?? [];
    this.jobs.set(r.id, list);
    for (const j of jobs) {
      const have = list.find((x) => x.device === j.device);
      if (!have) list.push(j);
      else if (j.updatedAt > have.updatedAt) Object.assign(have, j);
    }
  }

  /** The driver's side of a rollout: a timeout for each device updating, finished ones let go, the next ones started. */
  private async resume(r: Rollout): Promise<void> {
    for (const j of this.jobs.get(r.id) ?? []) {
      const key = `${j.rollout}/${j.device}`;
      if (ACTIVE.includes(j.status) && r.status === 'running') {
        if (!this.timers.has(key)) this.armTimeout(j);
      } else if (this.timers.has(key)) {
        clearTimeout(this.timers.get(key));
        this.timers.delete(key);
      }
    }
    await this.pump(r);
  }

  private clearTimers(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
  }

  listRollouts(): Rollout[] {
    return [...this.rollouts.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  getRollout(id: string): { rollout: Rollout; jobs: OtaJob[] } | undefined {
    const r = this.rollouts.get(id);
    return r && { rollout: { ...r }, jobs: (this.jobs.get(id) ?? []).map((j) => ({ ...j })) };
  }

  /** Running rollouts of an image: while any runs, the image is still to be sent to some of its devices. */
  runningWith(firmwareId: string): Rollout[] {
    return this.listRollouts().filter((r) => r.firmware === firmwareId && r.status === 'running');
  }

  jobsOf(device: string): OtaJob[] {
    const out: OtaJob[] = [];
    for (const list of this.jobs.values()) for (const j of list) if (j.device === device) out.push({ ...j });
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /**
   * One rollout over every device the target names; at most `concurrency` of them update at once,
   * across the whole target (a list of devices included: one rollout, not one per device). Only
   * devices the server has heard from take part: one named by id that it has not is refused, and a
   * profile's or equipment's that it has not are left out, counted in `leftOut` (each would only hold
   * a slot until the command timeout).
   */
  async createRollout(
    firmwareId: string,
    target: { kind: Exclude<RolloutTargetKind, 'devices'>; value: string } | { kind: 'devices'; devices: string[] },
    concurrency: number,
  ): Promise<{ rollout: Rollout; jobs: OtaJob[]; leftOut: number }> {
    const fw = await this.firmwareOf(firmwareId);
    if (!fw) throw new OtaError(`firmware ${firmwareId} not found`, 'id', 'not_found', 404);
    const named = [...new Set(target.kind === 'devices' ? target.devices : this.opts.resolveTarget(target.kind, target.value))];
    const unknown = named.filter((d) => !this.opts.isKnown(d));
    if (unknown.length && (target.kind === 'devices' || target.kind === 'device'))
      throw new OtaError(`never seen: ${unknown.join(', ')} (a rollout goes only to devices the server has heard from)`, target.kind, 'known_device');
    const devices = named.filter((d) => this.opts.isKnown(d)).sort();
    const stored = target.kind === 'devices' ? { kind: target.kind, value: devices.join(',') } : target;
    if (!devices.length) {
      const never = unknown.length ? ` the server has heard from (${unknown.length} never seen)` : '';
      throw new OtaError(`no device${never} matches ${stored.kind} "${stored.value}"`, stored.kind, 'matches_devices');
    }
    if (unknown.length) this.opts.logger.info({ target: stored, leftOut: unknown.length }, 'rollout leaves out devices never seen');
    const now = Date.now();
    const rollout: Rollout = {
      id: randomUUID(),
      firmware: fw.id,
      version: fw.version,
      target: stored,
      concurrency,
      status: 'running',
      createdAt: now,
      updatedAt: now,
    };
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
    const targeted = new Set(devices);
    for (const list of this.jobs.values()) {
      for (const j of list) {
        if (j.status === 'queued' && targeted.has(j.device)) await this.finishJob(j, 'failed', 'superseded by a newer rollout');
      }
    }
    // Jobs first: a node that hears of the rollout (shared store) finds all of its jobs.
    for (const j of jobs) await this.opts.store.saveOtaJob(j);
    await this.opts.store.saveRollout(rollout);
    this.rollouts.set(rollout.id, rollout);
    this.jobs.set(rollout.id, jobs);
    await this.pump(rollout);
    return { ...this.getRollout(rollout.id)!, leftOut: unknown.length };
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
    const rollout = typeof v.rollout === 'string' ? v.rollout : undefined;
    let job = this.activeJob(device, rollout);
    // Shared store: the node driving the rollout may have started this device a moment ago, and its notice not arrived yet.
    if (!job && this.opts.shared) {
      await this.reloadDevice(device);
      job = this.activeJob(device, rollout);
    }
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

  /** Read from the store: an image uploaded through another node is known here at once. */
  private firmwareOf(id: string) {
    return this.opts.firmware.get(id);
  }

  private async pump(r: Rollout): Promise<void> {
    if (this.stopped || !this.driving || r.status !== 'running') return;
    const jobs = this.jobs.get(r.id) ?? [];
    let active = jobs.filter((j) => ACTIVE.includes(j.status)).length;
    for (const j of jobs) {
      if (active >= r.concurrency) break;
      if (j.status !== 'queued') continue;
      active++;
      await this.startJob(r, j);
    }
    if (jobs.length && jobs.every((j) => j.status === 'success' || j.status === 'failed')) {
      r.status = 'done';
      r.updatedAt = Date.now();
      await this.opts.store.saveRollout(r);
    }
  }

  private async startJob(r: Rollout, j: OtaJob): Promise<void> {
    // Taken before the first wait: a pump running meanwhile must not start this job a second time.
    j.status = 'sent';
    j.updatedAt = Date.now();
    const fw = await this.firmwareOf(r.firmware);
    if (!fw) return this.finishJob(j, 'failed', 'the firmware image was deleted');
    const now = Date.now();
    j.startedAt = now;
    j.updatedAt = now;
    j.commandId = randomUUID();
    const params = { url: `${this.opts.baseUrl()}/api/v1/firmware/${fw.id}/image`, size: fw.size, sha256: fw.sha256, version: fw.version, rollout: r.id };
    try {
      // Saved as sent before the device is told: its report may reach another node (shared store),
      // which finds the job in the store, and no later save from here may overwrite that report.
      await this.opts.store.saveOtaJob(j);
      this.armTimeout(j);
      await this.opts.commands.create(j.device, 'ota', params, j.commandId);
    } catch (err) {
      await this.finishJob(j, 'failed', `could not send the ota command: ${(err as Error).message}`);
    }
  }

  private armTimeout(j: OtaJob): void {
    if (!this.driving) return;
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
