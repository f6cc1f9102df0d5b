import type { Role } from '../model/auth.js';

/** Who is calling, once the guard has looked at the credentials. */
export type Principal =
  /** session: the sign-in (refresh family) its access token belongs to. */
  | { kind: 'user'; id: string; username: string; role: Role; session: string }
  | { kind: 'api_key'; id: string; name: string; role: Role }
  | { kind: 'device'; device: string }
  | { kind: 'anonymous'; role: Role | null };

/** The role a principal acts with; devices have none (they only send their own readings). */
export function roleOf(p: Principal): Role | null {
  return p.kind === 'device' ? null : p.role;
}

/** A name for logs and audit fields ("acked_by"), never a secret. */
export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'user':
      return p.username;
    case 'api_key':
      return `key:${p.name}`;
    case 'device':
      return `device:${p.device}`;
    default:
      return 'anonymous';
  }
}
