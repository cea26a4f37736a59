let lastMs = 0;
let sequence = 0;

// Random bytes are drawn in blocks: one getRandomValues call per 256 ids instead of per id
// (that call was the largest single cost of track()).
const POOL = new Uint8Array(16 * 256);
let poolOffset = POOL.length;
const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

function randomBlock(): Uint8Array {
  if (poolOffset === POOL.length) {
    crypto.getRandomValues(POOL);
    poolOffset = 0;
  }
  poolOffset += 16;
  return POOL.subarray(poolOffset - 16, poolOffset);
}

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter that keeps ids made in
 * the same millisecond in order, then 62 random bits. Ids sort by creation time, which stores
 * index several times faster than random v4 ids. Not a secret: only uniqueness matters.
 *
 * @example
 * uuidv7(); // '0190f5c4-8a2b-7c01-9f3e-5b2a1d4c6e8f'
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBlock();
  if (now <= lastMs) {
    // Same (or an earlier, skewed) millisecond: keep counting from the last id.
    sequence++;
    if (sequence > 0xfff) {
      lastMs++;
      sequence = 0;
    }
  } else {
    lastMs = now;
    sequence = (bytes[6] as number) & 0x3ff; // random start, leaving room to count
  }
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  let hex = '';
  for (const b of bytes) hex += HEX[b];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
