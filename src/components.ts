/** A part of the running program with a lifecycle: started in order, stopped in reverse. */
export interface Component {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** Whether it serves right now (absent: it has nothing to report). */
  health?(): { status: 'up' | 'down' | 'degraded'; detail?: string };
}

/**
 * Starts components one after another. If one fails to start, the ones already started are stopped,
 * newest first, and the failure is thrown: a failed start leaves nothing listening or open. stop()
 * undoes a finished start the same way. Stop failures are reported, and the rest still stop.
 */
export class Runner {
  private started: Component[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly onStopError: (name: string, err: Error) => void = () => {}) {}

  /**
   * Starts each in turn. The list may be built as it goes (an async generator that builds a part
   * from the parts started before it); an error while building undoes the same way. A component
   * whose start failed is stopped too, as what it half opened (a server not yet listening) may
   * still hold something.
   */
  async start(components: Iterable<Component> | AsyncIterable<Component>): Promise<void> {
    try {
      for await (const c of components) {
        this.started.push(c);
        await c.start();
      }
    } catch (err) {
      await this.stopAll();
      throw err;
    }
  }

  /** Stops what started, newest first; calling it again waits for the same stop. */
  stop(): Promise<void> {
    return (this.stopping ??= this.stopAll());
  }

  /** Names of what is running, in start order. */
  get running(): string[] {
    return this.started.map((c) => c.name);
  }

  private async stopAll(): Promise<void> {
    while (this.started.length) {
      const c = this.started.pop()!;
      try {
        await c.stop();
      } catch (err) {
        this.onStopError(c.name, err as Error);
      }
    }
  }
}

/** A component from two functions. */
export function component(name: string, start: () => Promise<void> | void, stop: () => Promise<void> | void = () => {}): Component {
  return { name, start, stop };
}
