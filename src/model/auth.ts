import type { Static } from '@sinclair/typebox';
import type { ApiKeySchema, DeviceCredentialSchema, IdentitySchema, IssuedDeviceTokenSchema, SessionSchema, UserSchema } from './schemas/auth.js';

/** Who may do what. Each role includes the ones below it: admin > operator > viewer. */
export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** What a route asks of its caller: a user role, a device token for the device it names, or nothing. */
export type RouteRole = Role | 'device' | 'public';
export const ROUTE_ROLES: readonly RouteRole[] = ['public', 'device', ...ROLES];

/** Anonymous callers get this role ('none': they must sign in). */
export type AnonymousRole = 'none' | Role;

/** A user as the API shows it (schemas/auth.ts). */
export type PublicUser = Static<typeof UserSchema>;

export type UserRecord = PublicUser & {
  /** scrypt$N$r$p$salt$hash (base64url); never leaves the server. */
  passwordHash: string;
};

/** Who the caller is, as GET /auth/me answers. */
export type Identity = Static<typeof IdentitySchema>;

/** What POST /auth/login and /auth/refresh answer. */
export type Session = Static<typeof SessionSchema>;

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

/** An API key as the API shows it (never the key). */
export type PublicApiKey = Static<typeof ApiKeySchema>;
export type ApiKeyRecord = PublicApiKey & { hash: string };

/** A device that has a token, as the API lists it (never the token). */
export type PublicDeviceCredential = Static<typeof DeviceCredentialSchema>;
export type DeviceCredentialRecord = PublicDeviceCredential & { hash: string };
/** A device token, in the one answer that shows it. */
export type IssuedDeviceToken = Static<typeof IssuedDeviceTokenSchema>;

/** Failed sign-ins counted per key (ip:ADDR or user:NAME), kept across restarts. */
export interface LoginAttemptRecord {
  key: string;
  failures: number;
  lastAt: number;
  lockedUntil: number | null;
}
