/** A failed call as the dashboard should say it to a person. */
export interface Failure {
  status?: number;
  rule?: string | null;
  message: string;
  retryAfterSec?: number | null;
}

/**
 * The words for a refusal: a role too low says so plainly (not "403"), rate limits say when to
 * try again, a lost sign-in says to sign in.
 */
export function explainFailure(f: Failure, role: string | null): string {
  if (f.status === 403 || f.rule === 'forbidden') return `Your role${role ? ` (${role})` : ''} cannot do this. ${serverText(f.message)}`.trim();
  if (f.status === 429) {
    const wait = f.retryAfterSec != null ? ` Try again in ${f.retryAfterSec} s.` : ' Try again shortly.';
    return `Too many requests.${wait}`;
  }
  if (f.status === 401) return 'Sign in to do this.';
  return f.message;
}

/** The server's sentence without the "403 ... (POST /path)" wrapping ApiError adds. */
function serverText(message: string): string {
  const m = /^\d{3} (.*?)(?: \((?:GET|POST|PATCH|DELETE) [^)]*\))?$/.exec(message);
  const text = (m ? m[1] : message).trim();
  return text ? `(${text})` : '';
}
