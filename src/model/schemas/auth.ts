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
