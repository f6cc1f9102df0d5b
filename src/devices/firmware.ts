import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Firmware } from '../model/device-admin.js';
import type { DeviceAdminStore } from '../stores/store.js';
import { DomainError } from '../model/errors.js';

/** An image past the upload limit: refused as the body's max_size (413). */
export class FirmwareTooLarge extends DomainError {
  constructor(maxBytes: number) {
    super(413, `the image is larger than ${maxBytes} bytes`, 'body', 'max_size');
  }
}

/** Firmware images: files in `<data>/firmware/<id>.bin`, their size and sha256 in the store. */
export class FirmwareLibrary {
  private items = new Map<string, Firmware>();

  constructor(
    private readonly dir: string,
    private readonly store: DeviceAdminStore,
  ) {}

  async load(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    for (const f of await this.store.listFirmware()) this.items.set(f.id, f);
  }

  pathOf(id: string): string {
    return join(this.dir, `${id}.bin`);
  }

  get(id: string): Firmware | undefined {
    return this.items.get(id);
  }

  list(): Firmware[] {
    return [...this.items.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Streams an upload to disk, hashing as it goes; nothing is kept unless all of it arrived. */
  async add(body: Readable, info: { version: string; name?: string | null; notes?: string | null }, maxBytes: number): Promise<Firmware> {
    const id = randomUUID();
    const tmp = join(this.dir, `${id}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const out = createWriteStream(tmp);
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > maxBytes) throw new FirmwareTooLarge(maxBytes);
        hash.update(buf);
        if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } catch (err) {
      out.destroy();
      rmSync(tmp, { force: true });
      throw err;
    }
    const fw: Firmware = {
      id,
      version: info.version,
      name: info.name ?? null,
      size,
      sha256: hash.digest('hex'),
      notes: info.notes ?? null,
      createdAt: Date.now(),
    };
    renameSync(tmp, this.pathOf(id));
    await this.store.saveFirmware(fw);
    this.items.set(id, fw);
    return fw;
  }

  async delete(id: string): Promise<boolean> {
    if (!this.items.has(id)) return false;
    await this.store.deleteFirmware(id);
    this.items.delete(id);
    if (existsSync(this.pathOf(id))) rmSync(this.pathOf(id), { force: true });
    return true;
  }
}
