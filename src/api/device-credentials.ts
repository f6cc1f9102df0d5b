import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorRef, noContent } from './schemas.js';
import type { Logger } from '../logger.js';
import type { AuthServices } from '../auth/setup.js';
import { describePrincipal } from '../auth/principal.js';
import { notFound } from './errors.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { DeviceCredentialSchema, IssuedDeviceTokenSchema } from '../model/schemas/auth.js';

const err = errorRef;

/** Device tokens for MQTT (username = device id, password = token) and HTTP ingest (Bearer token): admins only. */
export async function deviceCredentialRoutes(fastify: FastifyInstance, ctx: { logger: Logger; auth: AuthServices }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth } = ctx;
  const admin = { role: 'admin' } as const;

  app.get(
    '/api/v1/device-credentials',
    {
      config: admin,
      schema: {
        tags: ['devices'],
        summary: 'Devices that have a token (never the tokens)',
        response: { 200: Type.Object({ credentials: Type.Array(DeviceCredentialSchema) }) },
      },
    },
    async () => ({ credentials: auth.devices.list().map(({ hash: _omit, ...c }) => c) }),
  );

  app.post(
    '/api/v1/devices/:id/credentials',
    {
      config: admin,
      schema: {
        tags: ['devices'],
        summary: 'Issue a token for a device (replaces any earlier one). The token is in this answer only: it is stored as a hash.',
        description:
          'MQTT: connect with username = device id, password = token; the device may publish only to devices/{id}/... and subscribe only to devices/{id}/commands and devices/{id}/ota. HTTP: POST /api/v1/devices/{id}/telemetry with "Authorization: Bearer <token>".',
        params: DeviceIdParams,
        response: {
          201: IssuedDeviceTokenSchema,
          400: err,
        },
      },
    },
    async (req, reply) => {
      const by = describePrincipal(req.principal);
      const { token, record } = await auth.devices.issue(req.params.id, by);
      ctx.logger.info({ device: record.device, by }, 'device token issued');
      return reply.code(201).send({ device: record.device, token, createdAt: record.createdAt });
    },
  );

  app.delete(
    '/api/v1/devices/:id/credentials',
    {
      config: admin,
      schema: {
        tags: ['devices'],
        summary: "Revoke a device's token (it can no longer connect or send)",
        params: DeviceIdParams,
        response: { 204: noContent, 404: err },
      },
    },
    async (req, reply) => {
      if (!(await auth.devices.revoke(req.params.id))) throw notFound(`credential of device ${req.params.id}`);
      ctx.logger.info({ device: req.params.id, by: describePrincipal(req.principal) }, 'device token revoked');
      return reply.code(204).send();
    },
  );
}
