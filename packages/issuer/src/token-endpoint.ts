import type { ServerResponse } from 'node:http';
import type { TokenIssuer } from './token-issuer.ts';

/** Who is asking: the user id, or null / undefined when the request is not signed in. */
export type Authenticate<Req> = (req: Req) => string | null | undefined | Promise<string | null | undefined>;

export interface TokenEndpointOptions<Req> {
  issuer: TokenIssuer;
  /** Reads the app's own session (cookie, header…) and names the signed-in user. */
  authenticate: Authenticate<Req>;
  /** Told about a throwing `authenticate` or a failed signature; default: one line on stderr. */
  onError?: (error: unknown) => void;
}

/** A framework-neutral answer, for frameworks other than node:http, Express and Fastify. */
export interface EndpointAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Fastify's reply, as far as the endpoint uses it. */
interface ReplyLike {
  code(status: number): ReplyLike;
  headers(values: Record<string, string>): ReplyLike;
  send(body: string): unknown;
}

export interface TokenEndpoint<Req> {
  /** node:http and Express: `(req, res)`; Fastify: `(request, reply)`. */
  (req: Req, res: ServerResponse | ReplyLike): Promise<unknown>;
  respond(req: Req): Promise<EndpointAnswer>;
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  // A token is a credential: no browser or proxy cache may keep it.
  'cache-control': 'no-store',
};

/**
 * A ready token endpoint for the app's backend: answers `200 {token, expiresAt}` for the user
 * `authenticate` names, `401` when it names none, `500` (details to `onError`, never to the
 * client) when it throws. Mount it where the SDK's `tokenProvider` fetches.
 *
 * @example
 * const endpoint = createTokenEndpoint({ issuer, authenticate: (req) => sessions.userOf(req) });
 * http.createServer((req, res) => (req.url === '/signet-token' ? endpoint(req, res) : next(req, res)));
 * expressApp.get('/signet-token', endpoint);
 * fastify.get('/signet-token', endpoint);
 */
export function createTokenEndpoint<Req = unknown>(options: TokenEndpointOptions<Req>): TokenEndpoint<Req> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { issuer, authenticate } = options;
  if (typeof issuer?.issueWithExpiry !== 'function') {
    throw new TypeError('issuer must be a TokenIssuer from createTokenIssuer()');
  }
  if (typeof authenticate !== 'function') throw new TypeError('authenticate must be a function');
  const onError = options.onError ?? defaultOnError;

  const respond = async (req: Req): Promise<EndpointAnswer> => {
    let issued: { token: string; expiresAt: string };
    try {
      const userId = await authenticate(req);
      if (userId === null || userId === undefined || userId === '') {
        return answer(401, { error: { code: 'UNAUTHENTICATED', message: 'Sign in to get a token' } });
      }
      issued = await issuer.issueWithExpiry(userId);
    } catch (error) {
      onError(error);
      return answer(500, { error: { code: 'TOKEN_UNAVAILABLE', message: 'The token could not be issued' } });
    }
    return answer(200, issued);
  };

  const endpoint = async (req: Req, res: ServerResponse | ReplyLike) => {
    const { status, headers, body } = await respond(req);
    if (isReply(res)) return res.code(status).headers(headers).send(body);
    res.writeHead(status, headers).end(body);
    return undefined;
  };
  return Object.assign(endpoint, { respond });
}

function answer(status: number, value: unknown): EndpointAnswer {
  return { status, headers: { ...JSON_HEADERS }, body: JSON.stringify(value) };
}

/** Fastify's reply has code() and send(); a ServerResponse (also Express's res) has neither code(). */
function isReply(res: ServerResponse | ReplyLike): res is ReplyLike {
  return (
    typeof (res as Partial<ReplyLike>).code === 'function' &&
    typeof (res as Partial<ReplyLike>).send === 'function'
  );
}

function defaultOnError(error: unknown): void {
  process.stderr.write(`signet token endpoint: ${error instanceof Error ? error.message : String(error)}\n`);
}
