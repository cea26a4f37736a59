/**
 * A JWS payload read as jose reads a JWT's claims: strict UTF-8 (a bad byte is an error, not
 * U+FFFD), then JSON. Undefined when it is neither, which `checkClaims` refuses as not an object.
 *
 * @example
 * decodePayload(new TextEncoder().encode('{"sub":"alice"}')); // { sub: 'alice' }
 */
export function decodePayload(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return undefined;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
