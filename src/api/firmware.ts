import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DeviceServices } from '../devices/services.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { DomainError, notFound } from './errors.js';
import { FirmwareSchema, OtaJobSchema, RolloutCreatedSchema, RolloutInputSchema, RolloutSchema, RolloutWithJobsSchema } from '../model/schemas/fleet.js';
import { Ref } from '../model/schemas/kit.js';

import { errorRef, errorResponses, noContent, streamed } from './schemas.js';
import { streamBodies, uploadStream } from './upload-body.js';

const imageBytes = streamed('the image bytes (or the range asked for)', 'binary');

const fwParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size: one range, or 'bad' (416), or null (whole file). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'bad' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'bad';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'bad';
  return { start, end };
}

/** Firmware images (upload, download with Range) and rollouts. */
export async function firmwareRoutes(fastify: FastifyInstance, ctx: { deviceServices: DeviceServices }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { firmware, ota, maxFirmwareBytes } = ctx.deviceServices;
  // Images stream into the store while hashed. In the upload route's own scope: an octet-stream body sent
  // to a JSON route (PATCH /devices/:id, ...) must not become the raw request (see streamBodies).
  await app.register(async (upload) => {
    streamBodies(upload, ['application/octet-stream'], { bodyLimit: maxFirmwareBytes });

    upload.withTypeProvider<TypeBoxTypeProvider>().post(
      '/api/v1/firmware',
      {
        bodyLimit: maxFirmwareBytes,
        // Operators run the fleet (they send any command already): firmware and rollouts are theirs, as
        // the README's role table says. Users, keys and device credentials stay with admins.
        config: { role: 'operator' },
        schema: {
          tags: ['firmware'],
          summary: 'Upload a firmware image (body: the raw bytes, content-type application/octet-stream)',
          consumes: ['application/octet-stream'],
          querystring: Type.Object({
            version: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]*$' }),
            name: Type.Optional(Type.String({ maxLength: 200 })),
            notes: Type.Optional(Type.String({ maxLength: 4000 })),
          }),
          response: { 201: Ref(FirmwareSchema), 413: errorRef, ...errorResponses },
        },
      },
      async (req, reply) => {
        const body = uploadStream(req.body, 'send the image as the body with content-type application/octet-stream');
        const fw = await firmware.add(body, { version: req.query.version, name: req.query.name, notes: req.query.notes }, maxFirmwareBytes);
        return reply.code(201).send(fw);
      },
    );
  });

  app.get(
    '/api/v1/firmware',
    {
      schema: {
        tags: ['firmware'],
        summary: 'Uploaded firmware images, newest first',
        response: { 200: Type.Object({ firmware: Type.Array(Ref(FirmwareSchema)) }) },
      },
    },
    async () => ({ firmware: await firmware.list() }),
  );

  app.get(
    '/api/v1/firmware/:id',
    {
      schema: { tags: ['firmware'], summary: 'One firmware image', params: fwParams, response: { 200: Ref(FirmwareSchema), ...errorResponses } },
    },
    async (req) => {
      const fw = await firmware.get(req.params.id);
      if (!fw) throw notFound(`firmware ${req.params.id}`);
      return fw;
    },
  );

  app.delete(
    '/api/v1/firmware/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['firmware'],
        summary: 'Delete a firmware image; refused (409, rule in_use) while a running rollout still sends it',
        params: fwParams,
        response: { 204: noContent, 409: errorRef, ...errorResponses },
      },
    },
    async (req, reply) => {
      // Deleting it mid-rollout would fail every device still queued ("the image was deleted"): cancel the rollout first.
      const running = ota.runningWith(req.params.id);
      if (running.length)
        throw new DomainError(
          409,
          `firmware ${req.params.id} is being rolled out (rollout ${running.map((r) => r.id).join(', ')}): cancel the rollout or let it finish first`,
          'id',
          'in_use',
        );
      if (!(await firmware.delete(req.params.id))) throw notFound(`firmware ${req.params.id}`);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/firmware/:id/image',
    {
      // Devices fetch images with their own token (any device), people with a viewer's.
      config: { role: 'device', deviceScope: 'any' },
      schema: {
        tags: ['firmware'],
        summary: 'The image bytes; honours a single Range: bytes=a-b so devices can fetch it in pieces and resume',
        params: fwParams,
        produces: ['application/octet-stream'],
        response: { 200: imageBytes, 206: imageBytes, ...errorResponses, 416: errorRef },
      },
    },
    async (req, reply) => {
      const fw = await firmware.get(req.params.id);
      if (!fw) throw notFound(`firmware ${req.params.id}`);
      // Metadata whose bytes never reached the store (a file an older version lost, or one left unimported because it did not match).
      if (!(await firmware.stored(fw))) throw new DomainError(404, `the bytes of firmware ${fw.id} are not stored: upload the image again`, 'id', 'not_stored');
      reply.header('accept-ranges', 'bytes').header('etag', `"${fw.sha256}"`).header('x-sha256', fw.sha256);
      const range = parseRange(req.headers.range, fw.size);
      if (range === 'bad') {
        return reply
          .code(416)
          .header('content-range', `bytes */${fw.size}`)
          .send({ error: `range ${req.headers.range} does not fit an image of ${fw.size} bytes`, field: 'range', rule: 'satisfiable' });
      }
      reply.type('application/octet-stream');
      if (!range) {
        reply.header('content-length', fw.size);
        return reply.send(Readable.from(firmware.read(fw)));
      }
      reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${fw.size}`)
        .header('content-length', range.end - range.start + 1);
      return reply.send(Readable.from(firmware.read(fw, range)));
    },
  );

  app.post(
    '/api/v1/firmware/:id/rollouts',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['firmware'],
        summary:
          'Roll the image out to a device, a list of devices, every device of a profile, or every sensor of a piece of equipment, N at a time across them',
        params: fwParams,
        body: RolloutInputSchema,
        response: {
          201: RolloutCreatedSchema,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const target = b.devices
        ? { kind: 'devices' as const, devices: b.devices }
        : b.device
          ? { kind: 'device' as const, value: b.device }
          : b.profile
            ? { kind: 'profile' as const, value: b.profile }
            : { kind: 'equipment' as const, value: b.equipment! };
      return reply.code(201).send(await ota.createRollout(req.params.id, target, b.concurrency ?? 1));
    },
  );

  app.get(
    '/api/v1/rollouts',
    {
      schema: {
        tags: ['firmware'],
        summary: 'Firmware rollouts, newest first',
        response: { 200: Type.Object({ rollouts: Type.Array(Ref(RolloutSchema)) }) },
      },
    },
    async () => ({ rollouts: ota.listRollouts() }),
  );

  app.get(
    '/api/v1/rollouts/:id',
    {
      schema: {
        tags: ['firmware'],
        summary: "A rollout and each device's progress",
        params: fwParams,
        response: {
          200: RolloutWithJobsSchema,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const r = ota.getRollout(req.params.id);
      if (!r) throw notFound(`rollout ${req.params.id}`);
      return r;
    },
  );

  app.post(
    '/api/v1/rollouts/:id/cancel',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['firmware'],
        summary: 'Cancel a running rollout: queued devices are not updated; devices already updating finish',
        params: fwParams,
        response: {
          200: RolloutWithJobsSchema,
          ...errorResponses,
          409: errorRef,
        },
      },
    },
    async (req) => {
      return ota.cancelRollout(req.params.id);
    },
  );

  app.get(
    '/api/v1/devices/:id/ota',
    {
      schema: {
        tags: ['firmware'],
        summary: "A device's firmware updates, newest first",
        params: DeviceIdParams,
        response: { 200: Type.Object({ jobs: Type.Array(Ref(OtaJobSchema)) }), ...errorResponses },
      },
    },
    async (req) => ({ jobs: ota.jobsOf(req.params.id) }),
  );
}
