import { isIP } from 'node:net';
import { isLocalName, isRefusedAddress } from './address-policy.ts';

export type ProviderUrlProblem = 'not_https' | 'private_address' | 'malformed_url';

export type ProviderUrlCheck =
  | { ok: true; url: URL }
  | { ok: false; reason: ProviderUrlProblem; message: string };

const MAX_URL_LENGTH = 2048;

/**
 * Judges a URL Signet will fetch for an app's identity provider: a `jwksUrl`, the issuer used
 * for discovery, or a `jwks_uri` found by discovery. https only, and no host that names a
 * loopback, private or link-local address, unless private networks are allowed (then http too).
 * A host name that is not obviously local passes here: its addresses are checked again when
 * connecting, on the address actually connected to.
 *
 * @example
 * checkProviderUrl('https://idp.example/jwks', false); // { ok: true, url }
 * checkProviderUrl('http://idp.example/jwks', false); // { ok: false, reason: 'not_https', … }
 * checkProviderUrl('https://169.254.169.254/', false); // { ok: false, reason: 'private_address', … }
 */
export function checkProviderUrl(text: string, allowPrivateNetwork: boolean): ProviderUrlCheck {
  if (typeof text !== 'string' || text.length > MAX_URL_LENGTH || !URL.canParse(text)) {
    return refuse('malformed_url', `Give an absolute URL of at most ${MAX_URL_LENGTH} characters`);
  }
  const url = new URL(text);
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    return refuse('malformed_url', 'The URL may not carry a user name, a password or a fragment');
  }
  if (url.protocol !== 'https:' && !(allowPrivateNetwork && url.protocol === 'http:')) {
    return refuse('not_https', 'The URL must use https');
  }
  if (!allowPrivateNetwork) {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const literal = isIP(host) !== 0;
    if ((literal && isRefusedAddress(host)) || (!literal && isLocalName(host))) {
      return refuse(
        'private_address',
        'The URL names a loopback, private or link-local host; set SIGNET_JWKS_ALLOW_PRIVATE_NETWORK=1 to allow it',
      );
    }
  }
  return { ok: true, url };
}

function refuse(reason: ProviderUrlProblem, message: string): ProviderUrlCheck {
  return { ok: false, reason, message };
}
