import type { PublicUser, Session } from '../../../src/model/auth.js';

/** What POST /auth/login and /auth/refresh answer. */
export type SessionGrant = Session;

/** A refused auth call: the server's `error` text and `rule`, with Retry-After when it sent one. */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly rule: string,
    message: string,
    readonly retryAfterSec: number | null = null,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** The part of Web Storage the session uses (sessionStorage in the browser, a Map in tests). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface AuthSessionOptions {
  fetch: typeof fetch;
  storage?: TokenStorage | null;
  base?: string;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** How long before the access token expires to rotate it. */
  refreshLeadMs?: number;
}

export const REFRESH_KEY = 'fieldscope.refreshToken';

/** Why the session ended: the user signed out, or the server would not refresh it. */
export type EndReason = 'signed-out' | 'expired';

/**
 * The signed-in user's tokens: the access token only in memory, the refresh token in the given
 * storage so a reload keeps the sign-in. Every refresh goes through one in-flight promise, because
 * a refresh token works once and a second use revokes the whole sign-in.
 */
export class AuthSession {
  private access: { token: string; expiresAt: number } | null = null;
  private refreshToken: string | null = null;
  private currentUser: PublicUser | null = null;
  private inFlight: Promise<boolean> | null = null;
  private timer: unknown = null;
  private listeners = new Set<(ended?: EndReason) => void>();
  private readonly o: Required<Omit<AuthSessionOptions, 'storage'>> & { storage: TokenStorage | null };

  constructor(options: AuthSessionOptions) {
    this.o = {
      base: '',
      now: () => Date.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      refreshLeadMs: 60_000,
      storage: null,
      ...options,
    };
    this.refreshToken = this.read();
  }

  get signedIn(): boolean {
    return this.access !== null;
  }

  get user(): PublicUser | null {
    return this.currentUser;
  }

  accessToken(): string | null {
    return this.access?.token ?? null;
  }

  expiresAt(): number | null {
    return this.access?.expiresAt ?? null;
  }

  /** Whether a refresh token from an earlier page load is waiting to be used. */
  get canResume(): boolean {
    return this.refreshToken !== null && this.access === null;
  }

  /** Called on sign-in, every rotation, and sign-out/expiry (with the reason). */
  onChange(fn: (ended?: EndReason) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async login(username: string, password: string): Promise<PublicUser> {
    const res = await this.o.fetch(`${this.o.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = await readJson(res);
    if (res.status !== 200) throw refusal(res, body);
    this.accept(body as SessionGrant);
    return this.currentUser!;
  }

  /** Uses a stored refresh token (after a reload); false when there is none or it no longer works. */
  resume(): Promise<boolean> {
    return this.refreshToken ? this.refresh() : Promise.resolve(false);
  }

  /**
   * Rotates the refresh token for a new access token. Concurrent callers share one request.
   * Resolves false (and ends the session) when the server refuses; a network failure rejects
   * and keeps the tokens, so a later try can still succeed.
   */
  refresh(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    const token = this.refreshToken;
    if (!token) return Promise.resolve(false);
    const run = (async () => {
      const res = await this.o.fetch(`${this.o.base}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ refreshToken: token }),
      });
      const body = await readJson(res);
      if (res.status === 200) {
        this.accept(body as SessionGrant);
        return true;
      }
      if (res.status === 401 || res.status === 400) {
        this.end('expired');
        return false;
      }
      throw refusal(res, body);
    })();
    this.inFlight = run;
    const clear = () => {
      if (this.inFlight === run) this.inFlight = null;
    };
    run.then(clear, clear);
    return run;
  }

  /** Refreshes when the access token is (nearly) expired; true when a usable token is held afterwards. */
  async ensureFresh(): Promise<boolean> {
    if (this.access && this.access.expiresAt - this.o.now() > this.o.refreshLeadMs) return true;
    if (!this.refreshToken) return false;
    return this.refresh();
  }

  /** Signs out: the server revokes the refresh token's sign-in; the tokens are forgotten either way. */
  async logout(): Promise<void> {
    const token = this.refreshToken;
    this.end('signed-out');
    if (!token) return;
    try {
      await this.o.fetch(`${this.o.base}/api/v1/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: token }),
      });
    } catch {
      // Offline: the token is gone from here and expires on its own.
    }
  }

  /**
   * fetch with the access token attached. A 401 while signed in means the token expired or was
   * revoked: refresh once and send the request again.
   */
  fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    if (this.access && this.access.expiresAt <= this.o.now() && this.refreshToken) await this.refresh().catch(() => false);
    const sent = this.access?.token ?? null;
    const res = await this.o.fetch(input, withBearer(init, sent));
    if (res.status !== 401 || sent === null) return res;
    // Another request may already have rotated the token while this one was out.
    const fresh = this.access?.token !== sent ? this.signedIn : await this.refresh().catch(() => false);
    if (!fresh || !this.access) return res;
    return this.o.fetch(input, withBearer(init, this.access.token));
  };

  private accept(g: SessionGrant): void {
    if (!g || typeof g.accessToken !== 'string' || typeof g.refreshToken !== 'string')
      throw new AuthError(500, 'bad_response', 'the server answered without tokens');
    this.access = { token: g.accessToken, expiresAt: g.expiresAt };
    this.refreshToken = g.refreshToken;
    this.currentUser = g.user ?? null;
    this.write(g.refreshToken);
    this.schedule();
    this.emit();
  }

  private end(reason: EndReason): void {
    const had = this.access !== null || this.refreshToken !== null;
    this.access = null;
    this.refreshToken = null;
    this.currentUser = null;
    this.write(null);
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    if (had) this.emit(reason);
  }

  private schedule(): void {
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    if (!this.access) return;
    const due = Math.max(0, this.access.expiresAt - this.o.refreshLeadMs - this.o.now());
    this.timer = this.o.setTimer(() => {
      this.timer = null;
      // A failed network try leaves the token; the next request's 401 tries again.
      this.refresh().catch(() => {});
    }, due);
  }

  private emit(ended?: EndReason): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(ended);
      } catch (err) {
        console.error(err);
      }
    }
  }

  private read(): string | null {
    try {
      return this.o.storage?.getItem(REFRESH_KEY) || null;
    } catch {
      return null;
    }
  }

  private write(token: string | null): void {
    try {
      if (token) this.o.storage?.setItem(REFRESH_KEY, token);
      else this.o.storage?.removeItem(REFRESH_KEY);
    } catch {
      // Storage blocked (private mode): the sign-in lasts for this page only.
    }
  }
}

function withBearer(init: RequestInit, token: string | null): RequestInit {
  if (!token) return init;
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/** Retry-After in seconds, from the header (or null). */
export function retryAfterOf(res: { headers: { get(name: string): string | null } }): number | null {
  const h = res.headers.get('retry-after');
  if (!h) return null;
  const n = Number(h);
  return Number.isFinite(n) && n >= 0 ? Math.ceil(n) : null;
}

function refusal(res: Response, body: unknown): AuthError {
  const b = (body && typeof body === 'object' ? body : {}) as { error?: unknown; rule?: unknown };
  const rule = typeof b.rule === 'string' ? b.rule : `http_${res.status}`;
  const message = rule === 'bad_credentials' ? 'Wrong user name or password' : typeof b.error === 'string' ? b.error : `${res.status} ${res.statusText}`;
  return new AuthError(res.status, rule, message, retryAfterOf(res));
}
