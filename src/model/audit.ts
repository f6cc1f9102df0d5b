/** One change made through the API, as the audit log keeps it. Times are epoch ms (UTC). */
export interface AuditEntry {
  id: number;
  at: number;
  /** Who: a user name, `key:NAME` for an API key, `device:ID`, or `anonymous`. */
  actor: string;
  /** The role they acted with (null for devices). */
  role: string | null;
  /** From where: the client address as the server saw it. */
  ip: string;
  method: string;
  /** The route pattern (`/api/v1/rules/:id`) and the path as called. */
  route: string;
  path: string;
  /** What was acted on: the route's id parameter, when it has one. */
  target: string | null;
  /** HTTP status of the answer: refused attempts are recorded too. */
  status: number;
  /** JSON text, secrets masked: the resource before the change (where cheap to read), the request, the answer. */
  before: string | null;
  request: string | null;
  after: string | null;
}

export interface AuditQuery {
  limit: number;
  /** Only entries with id below this (paging backwards). */
  before?: number;
  actor?: string;
  /** Route pattern prefix, e.g. /api/v1/rules. */
  route?: string;
  method?: string;
  target?: string;
  from?: number;
  to?: number;
}
