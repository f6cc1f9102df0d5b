/** Who may do what. Each role includes the ones below it: admin > operator > viewer. */
export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** What a route asks of its caller: a user role, a device token for the device it names, or nothing. */
export type RouteRole = Role | 'device' | 'public';
export const ROUTE_ROLES: readonly RouteRole[] = ['public', 'device', ...ROLES];

/** Anonymous callers get this role ('none': they must sign in). */
export type AnonymousRole = 'none' | Role;

export interface UserRecord {
  id: string;
  username: string;
  role: Role;
  /** scrypt$N$r$p$salt$hash (base64url); never leaves the server. */
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A user as the API shows it. */
export type PublicUser = Omit<UserRecord, 'passwordHash'>;

export interface RefreshTokenRecord {
  /** sha256 of the token; the token itself is only ever in the client's hands. */
  hash: string;
  userId: string;
  /** Every token issued by rotating one login shares it: a reused token revokes the family. */
  family: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  hash: string;
  createdAt: number;
  createdBy: string | null;
  revokedAt: number | null;
}

export type PublicApiKey = Omit<ApiKeyRecord, 'hash'>;

export interface DeviceCredentialRecord {
  device: string;
  hash: string;
  createdAt: number;
  /** Username of the admin who issued it, or 'provisioned' (trust on first use). */
  createdBy: string;
}

/** Failed sign-ins counted per key (ip:ADDR or user:NAME), kept across restarts. */
export interface LoginAttemptRecord {
  key: string;
  failures: number;
  lastAt: number;
  lockedUntil: number | null;
}
