import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { deeplyNested, type JsonNode, jsonText } from './json-text.ts';

/*
 * fast-check generators of hostile ingestion input: near-valid batches whose every field can
 * turn into something else, prototype-pollution keys, number literals no double can hold,
 * unicode of every plane (lone surrogates included), deep nesting, and plain garbage.
 */

export const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'polluted',
];

const key = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...POLLUTION_KEYS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
);
const numberLiteral: fc.Arbitrary<JsonNode> = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
    fc.constantFrom(
      '1e400',
      '-1e400',
      '1e-400',
      '-0',
      '9007199254740993',
      '1.7976931348623157e309',
      '0.1e-999999',
    ),
  )
  .map((number) => ({ number }));
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', '\u0000', '\ud800', '\udfff', '\u202e', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'e\u0301', '\ufeff'),
);

/** Any JSON tree, hostile keys and number literals included. */
export const hostileValue: fc.Arbitrary<JsonNode> = fc.letrec<{ value: JsonNode }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    numberLiteral,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }).map((array) => ({ array })),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((object) => ({ object })),
  ),
})).value;

/** Nesting from a few levels to well past what recursion-based code survives. */
export const deepValue: fc.Arbitrary<JsonNode> = fc
  .tuple(fc.integer({ min: 1, max: 12_000 }), fc.constantFrom('array' as const, 'proto-object' as const))
  .map(([depth, kind]) => deeplyNested(depth, kind, null));

/** A value of the right type most of the time, anything at all otherwise. */
const usually = <T extends JsonNode>(right: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 30, arbitrary: right }, { weight: 1, arbitrary: hostileValue });

const fresh = () => randomUUID(); // new per case: ids of one case never collide with another's
const iso = fc
  .date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true })
  .map((d) => d.toISOString());
const properties = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(key, hostileValue), { maxLength: 5 })
      .map((object) => ({ object }) as JsonNode),
  },
  { weight: 1, arbitrary: deepValue.map((value) => ({ object: [['nested', value]] }) as JsonNode) },
);

const nonEmptyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });

/** A track, attributes or alias event of the right shape, any field of which may turn hostile. */
const event: fc.Arbitrary<JsonNode> = fc
  .record({
    id: fc.oneof({ weight: 30, arbitrary: fc.constant('fresh') }, { weight: 1, arbitrary: hostileValue }),
    type: fc.oneof(
      {
        weight: 30,
        arbitrary: fc.constantFrom('track', 'track', 'track', 'attributes', 'attributes', 'alias'),
      },
      { weight: 1, arbitrary: hostileValue },
    ),
    name: usually(nonEmptyText),
    timestamp: usually(iso),
    sessionId: fc.option(usually(fc.constant('fresh')), { nil: undefined }),
    body: properties,
    extra: fc.option(fc.tuple(key, hostileValue), { nil: undefined, freq: 2 }),
  })
  .map((e) => {
    const idOf = (v: JsonNode) => (v === 'fresh' ? fresh() : v);
    const pairs: [string, JsonNode][] = [
      ['id', idOf(e.id)],
      ['type', e.type],
      ['timestamp', e.timestamp],
    ];
    if (e.sessionId !== undefined) pairs.push(['sessionId', idOf(e.sessionId)]);
    if (e.type === 'alias') pairs.push(['anonymousId', fresh()]);
    else if (e.type === 'attributes') pairs.push(['attributes', e.body]);
    else pairs.push(['name', e.name], ['properties', e.body]);
    if (e.extra !== undefined) pairs.push(e.extra);
    return { object: pairs };
  });

/** A batch that is valid or nearly so; any field may be replaced by hostile input. */
export const hostileBatch: fc.Arbitrary<JsonNode> = fc
  .record({
    user: usually(
      fc.oneof(
        fc
          .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
          .map((id) => ({ object: [['id', id]] }) as JsonNode),
        fc.constant({ object: [['anonymousId', 'fresh']] } as JsonNode),
      ),
    ),
    events: usually(fc.array(event, { minLength: 1, maxLength: 6 }).map((array) => ({ array }) as JsonNode)),
    sentAt: usually(iso),
    sdk: usually(
      fc.constant({
        object: [
          ['name', 'fuzz'],
          ['version', '1.0.0'],
        ],
      } as JsonNode),
    ),
    extra: fc.option(fc.tuple(key, hostileValue), { nil: undefined, freq: 2 }),
  })
  .map((b) => {
    const user =
      typeof b.user === 'object' && b.user !== null && 'object' in b.user && b.user.object[0]?.[1] === 'fresh'
        ? { object: [['anonymousId', fresh()]] as [string, JsonNode][] }
        : b.user;
    const pairs: [string, JsonNode][] = [
      ['batchId', fresh()],
      ['sentAt', b.sentAt],
      ['sdk', b.sdk],
      ['user', user],
      ['events', b.events],
    ];
    if (b.extra) pairs.push(b.extra);
    return { object: pairs } as JsonNode;
  });

/** What a fuzz case posts: text (usually JSON) or raw bytes, with a content type. */
export interface IngestCase {
  family: 'near-valid batch' | 'arbitrary JSON' | 'arbitrary bytes' | 'deep nesting';
  payload: string | Buffer;
  contentType: string;
}

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/json; charset=utf-16',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-8',
    ),
  },
);

export const ingestCase: fc.Arbitrary<IngestCase> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(hostileBatch, contentType)
      .map(([b, c]) => ({ family: 'near-valid batch' as const, payload: jsonText(b), contentType: c })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(hostileValue, contentType)
      .map(([v, c]) => ({ family: 'arbitrary JSON' as const, payload: jsonText(v), contentType: c })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.uint8Array({ maxLength: 600 }), contentType).map(([bytes, c]) => ({
      family: 'arbitrary bytes' as const,
      payload: Buffer.from(bytes),
      contentType: c,
    })),
  },
  {
    weight: 1,
    arbitrary: deepValue.map((v) => ({
      family: 'deep nesting' as const,
      payload: jsonText(v),
      contentType: 'application/json',
    })),
  },
);
