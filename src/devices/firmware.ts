import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Firmware } from '../model/device-admin.js';
import type { BlobStore, DeviceAdminStore } from '../stores/store.js';
import { DomainError } from '../model/errors.js';

/** An image past the upload limit: refused as the body's max_size (413). */
export class FirmwareTooLarge extends DomainError {
  constructor(maxBytes: number) {
    super(413, `the image is larger than ${maxBytes} bytes`, 'body', 'max_size');
  }
}

/** Where an image's bytes are kept in the store's files. */
export const firmwareKey = (id: string) => `firmware/${id}`;

/** Chunks of uploads cut off this long ago (a node died mid-upload) are deleted at start. */
const ABANDONED_UPLOAD_MS = 24 * 3_600_000;

/** Counts the bytes as they pass and stops the stream at the first byte past the limit. */
async function* limited(body: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw new FirmwareTooLarge(maxBytes);
    yield chunk;
  }
}

/**
 * Firmware images: metadata (version, size, sha256) and bytes both in the store, so every node that
 * shares it serves every image (docs/scale-out.md). Nothing is cached here: an image uploaded or
 * deleted through another node is seen at once.
 */
export class FirmwareLibrary {
  constructor(
    private readonly store: DeviceAdminStore,
    private readonly blobs: BlobStore,
    private readonly opts: {
      /** Where images were files before they moved into the store (`<data>/firmware`): imported at start. */
      legacyDir?: string;
      log?: (msg: string, detail: object) => void;
    } = {},
  ) {}

  /** Brings images left as files by an older version into the store, and drops uploads cut off long ago. */
  async load(): Promise<{ imported: string[] }> {
    await this.blobs.sweep(Date.now() - ABANDONED_UPLOAD_MS);
    return { imported: this.opts.legacyDir ? await this.importFiles(this.opts.legacyDir) : [] };
  }

  async get(id: string): Promise<Firmware | undefined> {
    return (await this.store.listFirmware()).find((f) => f.id === id);
  }

  async list(): Promise<Firmware[]> {
    return (await this.store.listFirmware()).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Whether the image's bytes are in the store (its metadata may outlive them only if they were lost before the import). */
  async stored(fw: Firmware): Promise<boolean> {
    const b = await this.blobs.info(firmwareKey(fw.id));
    return b !== undefined && b.size === fw.size && b.sha256 === fw.sha256;
  }

  /**
   * The image's bytes (a range of them: inclusive), chunk by chunk, each checked against its sha256.
   * A chunk that fails the check ends the stream (the download is cut off, never completed with
   * other bytes) and is logged: the response has begun, so the log is where it is told.
   */
  async *read(fw: Firmware, range?: { start: number; end: number }): AsyncGenerator<Buffer> {
    try {
      yield* this.blobs.read(firmwareKey(fw.id), range);
    } catch (err) {
      this.opts.log?.('firmware image not served whole', { id: fw.id, version: fw.version, error: (err as Error).message });
      throw err;
    }
  }

  /** Streams an upload into the store, hashing as it goes; nothing is kept unless all of it arrived. */
  async add(body: AsyncIterable<Uint8Array>, info: { version: string; name?: string | null; notes?: string | null }, maxBytes: number): Promise<Firmware> {
    const id = randomUUID();
    const stored = await this.blobs.put(firmwareKey(id), limited(body, maxBytes));
    const fw: Firmware = {
      id,
      version: info.version,
      name: info.name ?? null,
      size: stored.size,
      sha256: stored.sha256,
      notes: info.notes ?? null,
      createdAt: Date.now(),
    };
    try {
      await this.store.saveFirmware(fw);
    } catch (err) {
      await this.blobs.delete(firmwareKey(id)).catch(() => undefined);
      throw err;
    }
    return fw;
  }

  async delete(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    const deleted = await this.store.deleteFirmware(id);
    await this.blobs.delete(firmwareKey(id));
    return deleted;
  }

  /** One file into the store, once it matches its metadata; false (logged) when it does not. */
  private async importFile(file: string, fw: Firmware): Promise<boolean> {
    const onDisk = await fileDigest(file);
    if (onDisk.size !== fw.size || onDisk.sha256 !== fw.sha256) {
      this.opts.log?.('firmware file not imported: it does not match the size and sha256 recorded at upload', {
        file,
        size: onDisk.size,
        sha256: onDisk.sha256,
        expected: { size: fw.size, sha256: fw.sha256 },
      });
      return false;
    }
    // Opened first: a file another node removes meanwhile is an error here (caught by the caller), not an
    // 'error' event on a stream nobody listens to yet; once open, its bytes stay readable until closed.
    const handle = await open(file);
    let stored: Awaited<ReturnType<BlobStore['put']>>;
    try {
      stored = await this.blobs.put(firmwareKey(fw.id), handle.createReadStream({ autoClose: false }));
    } finally {
      await handle.close();
    }
    if (stored.sha256 !== fw.sha256 || stored.size !== fw.size) {
      this.opts.log?.('firmware file not imported: the store holds other bytes under its id', { file, stored: stored.sha256 });
      return false;
    }
    return true;
  }

  /**
   * `<dir>/<id>.bin` of every image the store lists becomes a stored file once its bytes match the
   * size and sha256 recorded at upload; only then is the file removed. A file that does not match,
   * or that no image refers to, stays where it is (and is logged): nothing is lost. Two nodes
   * importing one shared folder at once store it once (the first commit wins, the other's chunks go).
   */
  private async importFiles(dir: string): Promise<string[]> {
    if (!existsSync(dir)) return [];
    const imported: string[] = [];
    const known = new Set<string>();
    for (const fw of await this.store.listFirmware()) {
      const file = join(dir, `${fw.id}.bin`);
      known.add(`${fw.id}.bin`);
      if (!existsSync(file)) continue;
      try {
        if (!(await this.importFile(file, fw))) continue;
      } catch (err) {
        // Another node importing the same shared folder removed it first: stored by that node.
        if (await this.stored(fw)) continue;
        this.opts.log?.('firmware file not imported (left where it is)', { file, error: (err as Error).message });
        continue;
      }
      rmSync(file, { force: true });
      imported.push(fw.id);
    }
    // Another node importing the same shared folder may have emptied and removed it meanwhile.
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      // An upload cut off by a crash of an older version: never listed, never served.
      if (name.endsWith('.part')) rmSync(join(dir, name), { force: true });
      else if (!known.has(name)) this.opts.log?.('file in the old firmware folder left alone: no image refers to it', { file: join(dir, name) });
    }
    try {
      if (readdirSync(dir).length === 0) rmdirSync(dir);
    } catch {
      // Gone already, or refilled: either way nothing of it is lost.
    }
    return imported;
  }
}

async function fileDigest(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { size, sha256: hash.digest('hex') };
}
