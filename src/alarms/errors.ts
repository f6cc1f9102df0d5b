/** An error the API layer maps to a status with field and rule (alarms/ must not import api/). */
export class ApiLikeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field: string,
    readonly rule: string,
  ) {
    super(message);
  }
}
