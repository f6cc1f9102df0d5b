/** Users, sign-in sessions, API keys and device credentials as the API shows them (types in model/auth.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../auth.js';
import { Nullable, StringEnum } from './kit.js';

export const RoleSchema = StringEnum(ROLES);

export const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: RoleSchema,
  disabled: Type.Boolean(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

export const SessionSchema = Type.Object(
  {
    tokenType: StringEnum(['Bearer']),
    accessToken: Type.String(),
    expiresAt: Type.Integer({ description: 'epoch ms' }),
    refreshToken: Type.String(),
    refreshExpiresAt: Type.Integer({ description: 'epoch ms' }),
    user: UserSchema,
  },
  {
    description:
      'Send accessToken as "Authorization: Bearer <accessToken>"; before expiresAt, trade refreshToken for a new pair at /api/v1/auth/refresh (each refresh token works once).',
  },
);

/** Who the caller is, as GET /auth/me answers. */
export const IdentitySchema = Type.Object({
  kind: StringEnum(['user', 'api_key', 'device', 'anonymous'], { description: 'device: a device token (answered with the viewer role)' }),
  name: Type.String(),
  role: RoleSchema,
  user: Type.Unsafe<Static<typeof UserSchema> | null>({ ...UserSchema, nullable: true }),
});

export const UsernameSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' });
export const PasswordSchema = Type.String({ minLength: 1, maxLength: 1024 });
export const NewPasswordSchema = Type.String({ minLength: 10, maxLength: 1024 });

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  createdAt: Type.Integer(),
  createdBy: Nullable(Type.String()),
  revokedAt: Nullable(Type.Integer()),
});

export const DeviceCredentialSchema = Type.Object({
  device: Type.String(),
  createdAt: Type.Integer(),
  /** Username of the admin who issued it, or 'provisioned' (trust on first use). */
  createdBy: Type.String({ description: 'the admin who issued it, or "provisioned" (trust on first use)' }),
});

/** A device token, in the one answer that shows it. */
export const IssuedDeviceTokenSchema = Type.Object({ device: Type.String(), token: Type.String(), createdAt: Type.Integer() });

/** `/:id` of a user or API key. */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** One change made through the API, as the audit log keeps it (GET /audit). */
export const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    at: Type.Number({ description: 'epoch ms' }),
    actor: Type.String({ description: 'user name, key:NAME, device:ID or anonymous' }),
    role: Nullable(Type.String({ description: 'the role they acted with (null for devices)' })),
    ip: Type.String({ description: 'the client address as the server saw it' }),
    method: Type.String(),
    route: Type.String({ description: 'route pattern, e.g. /api/v1/rules/:id' }),
    path: Type.String(),
    target: Nullable(Type.String({ description: 'the id or name in the path' })),
    status: Type.Integer({ description: 'HTTP status of the answer (refused attempts are recorded too)' }),
    before: Nullable(Type.String({ description: 'JSON: the resource before the change, where one read finds it; secrets masked' })),
    request: Nullable(Type.String({ description: 'JSON: the request body; secrets masked' })),
    after: Nullable(Type.String({ description: 'JSON: the answer; secrets masked' })),
  },
  { $id: 'AuditEntry' },
);

export const AUDITED_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
