/** A step of a benchmark that did not finish in its time: the message says which step, in words. */
export class DeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

/**
 * `work`, or a DeadlineError after `ms` whose message `what()` gives at that moment (so it can name
 * the step the work had reached). A benchmark round that hangs (the fleet's card grid once held a
 * suite run for 918 s) then fails in bounded time with a reason instead of waiting for ever. The work
 * itself is not stopped: the caller closes what it was using (a browser context, a process).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what())), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
