import { type Batch, type BatchEvent, type ErrorDetail, LIMITS, nestingDepth } from '@signet/protocol';
import type { FastifySchemaValidationError } from 'fastify';
import { ApiError } from './errors.ts';
import type { EventToStore } from './store/store.ts';

const MAX_DETAILS = 50;

/** Turns schema errors into the SPEC's 400/413 answers, each bad field named by JSON pointer. */
export function schemaFailure(errors: FastifySchemaValidationError[]): ApiError {
  if (errors.some((e) => e.instancePath === '/events' && e.keyword === 'maxItems')) {
    return new ApiError(
      'BATCH_TOO_LARGE',
      'too_many_events',
      `A batch carries at most ${LIMITS.maxEventsPerBatch} events`,
    );
  }
  const details = new Map<string, ErrorDetail>();
  for (const e of errors) {
    // oneOf/discriminator wrap the real cause; the branch's own error says more.
    if (e.keyword === 'oneOf' && errors.length > 1) continue;
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    const pointer = missing === undefined ? e.instancePath : `${e.instancePath}/${escapePointer(missing)}`;
    if (!details.has(pointer)) details.set(pointer, { pointer, message: e.message ?? 'is invalid' });
  }
  const list = [...details.values()].slice(0, MAX_DETAILS);
  return new ApiError('INVALID_BATCH', 'invalid_field', describe(list), list);
}

function describe(details: ErrorDetail[]): string {
  const first = details[0];
  if (!first) return 'The batch is not valid';
  const where = first.pointer === '' ? 'the body' : first.pointer;
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return `Invalid batch: ${where} ${first.message}${more}`;
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The checks a schema cannot express, then each event reduced to its known fields and
 * serialised once: the size limit applies to what is stored.
 */
export function prepareEvents(batch: Batch): EventToStore[] {
  const identified = 'id' in batch.user;
  const problems: ErrorDetail[] = [];
  const prepared = batch.events.map((event, i) => {
    // Checked before JSON.stringify, which recurses: thousands of levels would overflow the
    // stack (a 500). The event object itself is one level; its properties start at two.
    const limit = LIMITS.maxNestingDepth + 1;
    if (nestingDepth(event, limit) > limit) {
      problems.push({
        pointer: `/events/${i}`,
        message: `nests objects and arrays deeper than ${LIMITS.maxNestingDepth} levels`,
      });
      return null;
    }
    const body = JSON.stringify(knownFields(event));
    if (Buffer.byteLength(body, 'utf8') > LIMITS.maxEventBytes) {
      problems.push({ pointer: `/events/${i}`, message: `is larger than ${LIMITS.maxEventBytes} bytes` });
    }
    if (event.type === 'alias' && !identified) {
      problems.push({
        pointer: `/events/${i}/type`,
        message: 'alias is only valid in a batch of an identified user',
      });
    }
    return toStore(event, body);
  });
  if (problems.length > 0) {
    const tooLarge = problems.some((p) => p.message.startsWith('is larger'));
    throw new ApiError(
      'INVALID_BATCH',
      tooLarge ? 'event_too_large' : 'invalid_field',
      describe(problems),
      problems,
    );
  }
  return prepared as EventToStore[];
}

/** The fields Signet stores, in a fixed order; built by assignment, as spreads cost more per event. */
function knownFields(event: BatchEvent): BatchEvent {
  const known: Record<string, unknown> = { id: event.id, type: event.type, timestamp: event.timestamp };
  if (event.sessionId !== undefined) known.sessionId = event.sessionId;
  switch (event.type) {
    case 'track':
      known.name = event.name;
      if (event.properties) known.properties = event.properties;
      break;
    case 'page':
      if (event.name !== undefined) known.name = event.name;
      if (event.properties) known.properties = event.properties;
      break;
    case 'attributes':
      known.attributes = event.attributes;
      break;
    case 'alias':
      known.anonymousId = event.anonymousId;
      break;
  }
  // Stored whole, as sent (unknown fields too): it is counted in the 32 KiB and the 64 levels.
  if (event.context) known.context = event.context;
  return known as unknown as BatchEvent;
}

function toStore(event: BatchEvent, body: string): EventToStore {
  return {
    id: event.id,
    type: event.type,
    name: event.type === 'track' || event.type === 'page' ? (event.name ?? null) : null,
    sessionId: event.sessionId ?? null,
    body,
    ...(event.type === 'attributes' && { attributes: event.attributes }),
    ...(event.type === 'alias' && { aliasOf: event.anonymousId }),
  };
}
