/**
 * A refusal stated once where the rule lives: the HTTP status it means, what is wrong, the field and
 * the rule. The server translates every one to `{ error, field, rule }` in one place (api/server.ts)
 * and counts those about bad input; no route catches and re-throws them.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly rule?: string,
    /** Where the bad input came from, for the rejected-input counter. */
    readonly source: 'api' | 'import' = 'api',
  ) {
    super(message);
  }
}
