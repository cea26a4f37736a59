import { LIMITS } from './limits.ts';

/*
 * JSON Schema (draft-07, as Ajv and Fastify read it) of the ingestion body. Plain data so that
 * this package stays dependency-free; the server compiles it once. Unknown fields are
 * ignored rather than refused, so that a newer SDK never loses data on an older server.
 */

// No NUL characters in the fields stored as plain text: PostgreSQL text cannot hold them, and
// no legitimate id or name needs one. (Property values are stored as JSON, where NUL is escaped.)
const NO_NUL = '^[^\\u0000]*$';
const id = { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength, pattern: NO_NUL } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const jsonObject = { type: 'object' } as const;

// Any JSON object, as Segment accepts: its size counts towards the event's 32 KiB and its
// nesting towards the event's 64 levels, both checked on the whole event.
const eventBase = {
  id,
  timestamp,
  sessionId: id,
  context: jsonObject,
} as const;
const eventName = {
  type: 'string',
  minLength: 1,
  maxLength: LIMITS.maxEventNameLength,
  pattern: NO_NUL,
} as const;

export const trackEventSchema = {
  type: 'object',
  required: ['id', 'type', 'timestamp', 'name'],
  properties: {
    ...eventBase,
    type: { const: 'track' },
    name: eventName,
    properties: jsonObject,
  },
} as const;

export const pageEventSchema = {
  type: 'object',
  required: ['id', 'type', 'timestamp'],
  properties: {
    ...eventBase,
    type: { const: 'page' },
    name: eventName,
    properties: jsonObject,
  },
} as const;

export const attributesEventSchema = {
  type: 'object',
  required: ['id', 'type', 'timestamp', 'attributes'],
  properties: {
    ...eventBase,
    type: { const: 'attributes' },
    attributes: { type: 'object', minProperties: 1 },
  },
} as const;

export const aliasEventSchema = {
  type: 'object',
  required: ['id', 'type', 'timestamp', 'anonymousId'],
  properties: {
    ...eventBase,
    type: { const: 'alias' },
    anonymousId: id,
  },
} as const;

export const batchSchema = {
  type: 'object',
  required: ['batchId', 'user', 'events'],
  properties: {
    batchId: id,
    sentAt: timestamp,
    sdk: {
      type: 'object',
      required: ['name', 'version'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: LIMITS.maxSdkFieldLength, pattern: NO_NUL },
        version: { type: 'string', minLength: 1, maxLength: LIMITS.maxSdkFieldLength, pattern: NO_NUL },
      },
    },
    user: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      properties: { id, anonymousId: id },
      additionalProperties: false,
    },
    events: {
      type: 'array',
      minItems: 1,
      maxItems: LIMITS.maxEventsPerBatch,
      items: {
        type: 'object',
        required: ['type'],
        discriminator: { propertyName: 'type' },
        oneOf: [trackEventSchema, pageEventSchema, attributesEventSchema, aliasEventSchema],
      },
    },
  },
} as const;
