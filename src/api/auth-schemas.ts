/** Shapes of the sign-in, user, API key and device credential routes (inline: they appear in the OpenAPI document with their routes). */

export const roleEnum = { type: 'string', enum: ['viewer', 'operator', 'admin'] } as const;

export const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    role: roleEnum,
    disabled: { type: 'boolean' },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
  },
  required: ['id', 'username', 'role', 'disabled', 'createdAt', 'updatedAt'],
} as const;

export const sessionSchema = {
  type: 'object',
  description:
    'Send accessToken as "Authorization: Bearer <accessToken>"; before expiresAt, trade refreshToken for a new pair at /api/v1/auth/refresh (each refresh token works once).',
  properties: {
    tokenType: { type: 'string', enum: ['Bearer'] },
    accessToken: { type: 'string' },
    expiresAt: { type: 'integer', description: 'epoch ms' },
    refreshToken: { type: 'string' },
    refreshExpiresAt: { type: 'integer', description: 'epoch ms' },
    user: userSchema,
  },
  required: ['tokenType', 'accessToken', 'expiresAt', 'refreshToken', 'refreshExpiresAt', 'user'],
} as const;

export const usernameSchema = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' } as const;
export const passwordSchema = { type: 'string', minLength: 1, maxLength: 1024 } as const;
export const newPasswordSchema = { type: 'string', minLength: 10, maxLength: 1024 } as const;

export const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: roleEnum,
    createdAt: { type: 'integer' },
    createdBy: { type: 'string', nullable: true },
    revokedAt: { type: 'integer', nullable: true },
  },
  required: ['id', 'name', 'role', 'createdAt', 'createdBy', 'revokedAt'],
} as const;

export const deviceCredentialSchema = {
  type: 'object',
  properties: {
    device: { type: 'string' },
    createdAt: { type: 'integer' },
    createdBy: { type: 'string', description: 'the admin who issued it, or "provisioned" (trust on first use)' },
  },
  required: ['device', 'createdAt', 'createdBy'],
} as const;

export const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['id'] } as const;
