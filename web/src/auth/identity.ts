import { Signal } from '../state/signal.js';
import type { Identity } from '../api.js';

export type IdentityState =
  | { status: 'loading' }
  /** Nobody may look without signing in (the server answered 401 to /auth/me). */
  | { status: 'login-required' }
  | { status: 'ready'; identity: Identity }
  | { status: 'error'; message: string };

/** Who the dashboard is acting as, for the header, the gate and the role checks. */
export class IdentityStore extends Signal {
  state: IdentityState = { status: 'loading' };
  /** Said once on the login screen, e.g. "your sign-in expired". */
  notice: string | null = null;

  set(state: IdentityState, notice: string | null = this.notice): void {
    this.state = state;
    this.notice = notice;
    this.emit();
  }

  get identity(): Identity | null {
    return this.state.status === 'ready' ? this.state.identity : null;
  }

  /** The role in force: the signed-in user's, or the anonymous one; null before we know. */
  get role(): Identity['role'] | null {
    return this.identity?.role ?? null;
  }
}

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

/** Whether `role` includes `needed` (admin > operator > viewer). */
export function roleAtLeast(role: keyof typeof RANK | null | undefined, needed: keyof typeof RANK): boolean {
  return !!role && RANK[role] >= RANK[needed];
}
