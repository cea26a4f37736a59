import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import type { JwksFetchErrorKind } from '@signet/protocol';
import { isRefusedAddress } from './address-policy.ts';
import { checkProviderUrl } from './provider-url.ts';

export interface FetchLimits {
  /** Whole request, from the lookup to the last byte. */
  timeoutMs: number;
  /** Bodies larger than this are refused, and reading stops there. */
  maxBytes: number;
  /** `SIGNET_JWKS_ALLOW_PRIVATE_NETWORK=1`: http and private addresses allowed. */
  allowPrivateNetwork: boolean;
  /** Extra trusted certificate authorities (tests with a self-signed provider). */
  ca?: string;
  /** Resolves a host name; node:dns `lookup` unless a test plays the DNS. */
  resolve?: (hostname: string, family: number) => Promise<LookupAddress[]>;
}

export type FetchResult =
  | { ok: true; body: Buffer; cacheControl: string | undefined }
  | { ok: false; kind: JwksFetchErrorKind; message: string };

/** Thrown inside the request to stop it, carrying the outcome to report. */
class Refusal extends Error {
  constructor(
    readonly kind: JwksFetchErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * GETs one document from an identity provider, as carefully as the verifier judges tokens:
 * https only; every address the name resolves to is checked and only a checked one is connected
 * to, and the connected socket's address is checked again (so DNS rebinding between check and
 * connect gains nothing); redirects are answers, never followed; a body over `maxBytes` is
 * refused without reading further; the whole exchange has one deadline. No cookies, no proxy,
 * a fresh connection each time. Never throws.
 *
 * @example
 * const result = await fetchLimited(new URL('https://idp.example/jwks'), { timeoutMs: 5000, maxBytes: 524288, allowPrivateNetwork: false });
 * if (result.ok) JSON.parse(result.body.toString('utf8'));
 */
export function fetchLimited(url: URL, limits: FetchLimits): Promise<FetchResult> {
  const checked = checkProviderUrl(url.href, limits.allowPrivateNetwork);
  if (!checked.ok) {
    const kind = checked.reason === 'not_https' ? 'not_https' : 'address_refused';
    return Promise.resolve({ ok: false, kind, message: checked.message });
  }
  return new Promise<FetchResult>((resolve) => {
    let settled = false;
    const finish = (result: FetchResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const fail = (error: unknown) => {
      if (error instanceof Refusal) finish({ ok: false, kind: error.kind, message: error.message });
      else finish({ ok: false, kind: 'network', message: networkMessage(error) });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req: ClientRequest = send(url, {
      method: 'GET',
      agent: false,
      lookup: checkedLookup(limits.allowPrivateNetwork, limits.resolve ?? systemResolve),
      headers: { accept: 'application/jwk-set+json, application/json', 'user-agent': 'signet-jwks' },
      ...(limits.ca !== undefined && { ca: limits.ca }),
    });
    const stop = (refusal: Refusal) => {
      fail(refusal);
      req.destroy(refusal);
    };
    const deadline = setTimeout(
      () => stop(new Refusal('timeout', `No complete answer within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    req.on('socket', (socket: Socket) => {
      // The address actually connected to, whatever the lookup said (and IP literals skip it).
      socket.once('connect', () => {
        const remote = socket.remoteAddress ?? '';
        if (!limits.allowPrivateNetwork && isRefusedAddress(remote)) {
          stop(new Refusal('address_refused', 'The provider resolved to a private or loopback address'));
        }
      });
    });
    req.on('error', fail);
    req.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        return stop(
          new Refusal('redirect_refused', `The provider answered ${status} (redirects are not followed)`),
        );
      }
      if (status !== 200) return stop(new Refusal('http_status', `The provider answered ${status}`));
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        return stop(new Refusal('too_large', `The document is larger than ${limits.maxBytes} bytes`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) {
          stop(new Refusal('too_large', `The document is larger than ${limits.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => {
        finish({
          ok: true,
          body: Buffer.concat(chunks),
          cacheControl: headerText(response.headers['cache-control']),
        });
      });
    });
    req.end();
  });
}

/**
 * A `lookup` for node:http(s) that resolves every address of the name and hands over only the
 * allowed ones, so the connection can only go to an address that was checked.
 */
export function checkedLookup(
  allowPrivateNetwork: boolean,
  resolve: NonNullable<FetchLimits['resolve']> = systemResolve,
): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    resolve(hostname, family).then(
      (addresses) => {
        const allowed = addresses.filter((entry) => allowPrivateNetwork || !isRefusedAddress(entry.address));
        const first = allowed[0];
        if (!first) {
          const refusal = new Refusal(
            'address_refused',
            'The provider resolved to a private or loopback address',
          );
          return callback(refusal as NodeJS.ErrnoException, '', 0);
        }
        if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, allowed);
        return callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function systemResolve(hostname: string, family: number): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, family }, (error, addresses) =>
      error ? reject(error) : resolve(addresses as LookupAddress[]),
    );
  });
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** What went wrong on the network, without echoing anything the provider sent. */
function networkMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string'
    ? `The provider could not be reached (${code})`
    : 'The provider could not be reached';
}
