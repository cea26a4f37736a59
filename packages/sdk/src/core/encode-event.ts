import type { BatchEvent } from '@signet/protocol';
import { LIMITS, nestingDepth } from '@signet/protocol';

const encoder = new TextEncoder();

/**
 * The event as the JSON that is queued and sent, or why the server would refuse it (too deep,
 * not JSON, over 32 KiB): refused at the call, so that one bad event never costs its batch.
 *
 * @example
 * encodeEvent({ id, type: 'track', name: 'A', timestamp }); // '{"id":"…","type":"track",…}'
 */
export function encodeEvent(event: BatchEvent): string | { dropped: string } {
  // JSON.stringify would overflow the stack long before a hostile depth (or loop on a cycle):
  // the depth is checked first. The event object itself is not counted, as on the server.
  if (nestingDepth(event, LIMITS.maxNestingDepth + 1) > LIMITS.maxNestingDepth + 1) {
    return {
      dropped: `${event.type}: nests objects and arrays deeper than ${LIMITS.maxNestingDepth} levels`,
    };
  }
  let json: string;
  try {
    json = JSON.stringify(event);
  } catch (error) {
    // A BigInt in the properties.
    return { dropped: `${event.type}: the event is not JSON (${String(error)})` };
  }
  // Three bytes per UTF-16 unit at most: only a long event needs the exact count.
  if (json.length * 3 > LIMITS.maxEventBytes && encoder.encode(json).length > LIMITS.maxEventBytes) {
    return { dropped: `${event.type}: the event is larger than ${LIMITS.maxEventBytes} bytes` };
  }
  return json;
}
