import type { Principal } from './principal.js';

/** A credential that stopped working: whatever still holds it open (an MQTT session, a cached check) must let go now. */
export type Revocation =
  | { kind: 'device'; device: string }
  | { kind: 'api_key'; id: string }
  /** A user's password, role or disabled flag changed, or the user was deleted: all their sign-ins end. */
  | { kind: 'user'; id: string }
  /** One sign-in (refresh family) ended: signed out, or a refresh token used twice. */
  | { kind: 'session'; family: string };

/** Told by the services that revoke credentials; heard by the MQTT broker and the session check. */
export class Revocations {
  private listeners = new Set<(r: Revocation) => void>();

  on(listener: (r: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(r: Revocation): void {
    for (const l of this.listeners) l(r);
  }
}

/** Whether a revocation ends what this HTTP principal holds open (a live WebSocket). */
export function revokes(r: Revocation, p: Principal): boolean {
  switch (r.kind) {
    case 'device':
      return p.kind === 'device' && p.device === r.device;
    case 'api_key':
      return p.kind === 'api_key' && p.id === r.id;
    case 'user':
      return p.kind === 'user' && p.id === r.id;
    default:
      return p.kind === 'user' && p.session === r.family;
  }
}
