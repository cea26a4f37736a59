import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Short and plain: a client's id ends up in every log line and in the answer's x-request-id.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Fastify's genReqId: the client's (or proxy's) `x-request-id` when it is a safe id, so a
 * request can be followed across services; otherwise a new random one, never the header echoed.
 */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}
