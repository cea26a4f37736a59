// The batches both event-format pricings store (event-format.mjs for SQLite,
// event-format-postgres.mjs): twenty track events with properties, time-ordered ids.
import { randomBytes } from 'node:crypto';

export const EVENTS_PER_BATCH = 20;

// Time-ordered ids (UUIDv7-shaped, a sequence within each millisecond), as the SDK sends them.
let counter = 0;
const started = Date.now();
function id() {
  counter++;
  const ms = started + Math.floor(counter / 1000);
  const hex = (n, width) => n.toString(16).padStart(width, '0');
  return `${hex(Math.floor(ms / 65536), 8)}-${hex(ms % 65536, 4)}-7${hex(counter % 1000, 3)}-${randomBytes(6).toString('hex')}`;
}

/** A batch: its id, time and events, each with its full body and `rest`, the body without the columns. */
export function batch() {
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
    const eventId = id();
    const rest = {
      timestamp: new Date().toISOString(),
      properties: { sku: `SKU-${i}`, price: 19.99, currency: 'EUR' },
    };
    const name = 'Product viewed';
    return {
      id: eventId,
      name,
      body: JSON.stringify({ id: eventId, type: 'track', name, ...rest }),
      rest: JSON.stringify(rest),
    };
  });
  return { batchId: id(), at: Date.now(), events };
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/*
 * The values each format stores, in its columns' order, for a verified batch of `user-1`.
 * today: app_id, id, type, name, user_id, anonymous_id, session_id, batch_id, sender, sdk_name,
 * sdk_version, verified, received_at, body, kid. Slim batches: app, batch_id, user_id,
 * anonymous_id, sender, sdk_name, sdk_version, verified, received_at, kid; slim events: app,
 * batch, id, type, name, session_id, sender, body.
 */
export const todayRow = (b, e) => [
  'app_0123456789abcdef',
  e.id,
  'track',
  e.name,
  'user-1',
  null,
  null,
  b.batchId,
  'verified:user-1',
  'bench',
  '1',
  1,
  b.at,
  e.body,
  'k1',
];
export const slimBatchRow = (b) => [
  7,
  b.batchId,
  'user-1',
  null,
  'verified:user-1',
  'bench',
  '1',
  1,
  b.at,
  'k1',
];
export const slimEventRow = (batchSeq, e, body) => [
  7,
  batchSeq,
  e.id,
  'track',
  e.name,
  null,
  'verified:user-1',
  body,
];

/**
 * The format migration 006 shipped, for batch number `seq`: its batch row (seq, app_id, batch_id,
 * user_id, anonymous_id, sender, sdk_name, sdk_version, verified, kid, received_at, events) and
 * its event rows (seq × 1024 + position, app_id, id, type, name, session_id, sender, received_at,
 * body), from the same values as todayRow.
 */
export function shippedRows(seq, b) {
  const [
    appId,
    ,
    type,
    ,
    userId,
    anonymousId,
    sessionId,
    batchId,
    sender,
    sdkName,
    sdkVersion,
    verified,
    ,
    ,
    kid,
  ] = todayRow(b, b.events[0]);
  return {
    batch: [
      seq,
      appId,
      batchId,
      userId,
      anonymousId,
      sender,
      sdkName,
      sdkVersion,
      verified,
      kid,
      b.at,
      b.events.length,
    ],
    events: b.events.map((e, i) => [
      seq * 1024 + i,
      appId,
      e.id,
      type,
      e.name,
      sessionId,
      sender,
      b.at,
      e.body,
    ]),
  };
}
