import { open, rename, type FileHandle } from 'node:fs/promises';

/** Lines wait this long to go out together (a log line, not a record: each prediction is also stored). */
const GATHER_MS = 100;

/**
 * An append-only NDJSON log on one open file: the lines given within GATHER_MS (and while a write
 * is under way) go out together in one write, in order. Past `maxBytes` the file is renamed to `<file>.1` (the one
 * older file kept) and a new one begun, so the log cannot fill the disk.
 *
 * One open file rather than an append per line: a device fleet's live predictions come hundreds a
 * second, and opening, writing and closing the file for each cost the thread that acknowledges
 * devices ~150 us a prediction (issue 21's figure 1f profile).
 */
export class PredictionLog {
  private file: FileHandle | null = null;
  private bytes = 0;
  private pending: string[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly onError: (err: Error) => void,
  ) {}

  append(line: string): void {
    this.pending.push(line);
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => this.start(), GATHER_MS);
    // Not a reason to keep the process: close() writes what waits.
    this.timer.unref();
  }

  /** Resolves once every line appended so far is written (or failed and reported). */
  async flush(): Promise<void> {
    if (this.timer) this.start();
    while (this.writing) await this.writing;
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.writing ??= this.drain();
  }

  async close(): Promise<void> {
    await this.flush();
    const f = this.file;
    this.file = null;
    await f?.close().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const chunk = Buffer.from(this.pending.join(''));
      this.pending = [];
      try {
        await this.write(chunk);
      } catch (err) {
        // The file is opened afresh for the next lines (a removed directory, a full disk that clears).
        this.onError(err as Error);
        const f = this.file;
        this.file = null;
        await f?.close().catch(() => undefined);
      }
    }
    this.writing = null;
  }

  private async write(chunk: Buffer): Promise<void> {
    if (!this.file) {
      this.file = await open(this.path, 'a');
      this.bytes = (await this.file.stat()).size;
    }
    if (this.bytes > 0 && this.bytes + chunk.length > this.maxBytes) {
      const full = this.file;
      this.file = null;
      await full.close();
      await rename(this.path, `${this.path}.1`);
      this.file = await open(this.path, 'a');
      this.bytes = 0;
    }
    await this.file.write(chunk);
    this.bytes += chunk.length;
  }
}
