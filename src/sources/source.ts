/** A transport that brings device messages in. Adding one is adding one file in sources/. */
export interface Source {
  readonly name: string;
  start(): Promise<void>;
  /** Stops taking new input; what was taken is finished first. */
  stop(): Promise<void>;
  /** One line for the startup banner and /health. */
  describe(): { status: 'up' | 'down'; detail: Record<string, unknown> };
}
