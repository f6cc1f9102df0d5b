import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { DomainError } from './errors.js';

// Uploads (bulk import, firmware images) are read from the request as it arrives, never buffered
// whole: their content types hand the raw stream to the route, which checks it got one.

/**
 * In `scope` only, a body of one of `types` becomes the request stream itself. Register it in the
 * upload route's own scope: on a JSON route's scope, a stream sent as its body would reach body
 * validation, which strips the IncomingMessage's own fields and crashes node's http server.
 */
export function streamBodies(scope: FastifyInstance, types: readonly string[], opts: { bodyLimit?: number } = {}): void {
  for (const type of types) scope.addContentTypeParser(type, opts, (_req, payload, done) => done(null, payload));
}

/** The body streamBodies handed over; anything else (another content type, none) is a 415 saying `what` to send. */
export function uploadStream(body: unknown, what: string): Readable {
  if (typeof body !== 'object' || body === null || typeof (body as Readable).pipe !== 'function')
    throw new DomainError(415, what, 'content-type', 'media_type');
  return body as Readable;
}

/**
 * Reads what is left of a body refused part-way and drops it: answered before the client has sent
 * it all, the client (and the next request on its kept-alive connection) sees a reset instead of the refusal.
 */
export async function drainRefused(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return;
  stream.resume();
  await new Promise<void>((res) => {
    stream.once('end', res);
    stream.once('close', res);
    stream.once('error', () => res());
  });
}
