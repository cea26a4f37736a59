import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to one request:
 * - `pass`: forward and answer as the server did;
 * - `drop-request`: close the connection before forwarding (the server never sees it);
 * - `drop-answer`: forward, let the server answer, then close the connection without passing the
 *   answer on (the server stored the batch, the client never heard);
 * - `status`: answer 503 or 429 with `Retry-After` itself, without forwarding;
 * - `delay`: forward, then hold the answer `ms` before passing it on (past a client's timeout, the
 *   client has given up by then).
 */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'drop-request' }
  | { kind: 'drop-answer' }
  | { kind: 'status'; status: 503 | 429; retryAfterSeconds: number }
  | { kind: 'delay'; ms: number };

/** One request the proxy saw, as the tests check it. */
export interface ProxiedRequest {
  /** 0-based count of requests the schedule was asked about. */
  n: number;
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
  fault: Fault;
  /** The server's status, or null when it was never asked or could not be reached. */
  upstreamStatus: number | null;
}

/** Picks the fault for request number `n`. */
export type Schedule = (n: number, request: { method: string; path: string }) => Fault;

/** Every request passes. */
export const passAll: Schedule = () => ({ kind: 'pass' });

/**
 * Repeats `faults` in order for the requests the `applies` filter selects (by default, ingestion
 * batches only, so that admin calls through the proxy are never disturbed).
 *
 * @example
 * cycle([{ kind: 'drop-answer' }, { kind: 'pass' }]); // every other batch loses its answer
 */
export function cycle(
  faults: readonly Fault[],
  applies: (request: { method: string; path: string }) => boolean = (r) =>
    r.method === 'POST' && r.path.startsWith('/v1/'),
): Schedule {
  let i = 0;
  return (_n, r) => (applies(r) ? (faults[i++ % faults.length] as Fault) : { kind: 'pass' });
}

export interface FaultProxy {
  /** The proxy's base URL on 127.0.0.1. */
  url: string;
  /** Every request seen so far, in arrival order. */
  requests: ProxiedRequest[];
  /** Points the proxy at another server (a restarted one on a new port). */
  setTarget(url: string): void;
  setSchedule(schedule: Schedule): void;
  /**
   * Moves the `Date` header of every answer passed on by `seconds` (negative: earlier). A client
   * that learns the server's time from it (the SDK does) then misjudges token expiry: a token
   * it believes valid reaches the server already expired.
   */
  skewDate(seconds: number): void;
  close(): Promise<void>;
}

const readBody = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

/**
 * A small HTTP proxy on 127.0.0.1 that injects faults between a client and a real server. An
 * unreachable server looks to the client like a dead server (the connection is closed).
 *
 * @example
 * const proxy = await startFaultProxy(serverUrl, cycle([{ kind: 'status', status: 503, retryAfterSeconds: 1 }]));
 * Signet.init({ appId, endpoint: proxy.url });
 */
export async function startFaultProxy(target: string, schedule: Schedule = passAll): Promise<FaultProxy> {
  let upstream = new URL(target);
  let pick = schedule;
  let dateSkewMs = 0;
  let count = 0;
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const headers = { ...req.headers, host: upstream.host, connection: 'close' };
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent: false,
        },
        (res) => {
          readBody(res).then(
            (b) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const fault = pick(count, { method, path });
    const record: ProxiedRequest = {
      n: count++,
      method,
      path,
      authorization: req.headers.authorization,
      body: body.toString('utf8'),
      fault,
      upstreamStatus: null,
    };
    requests.push(record);
    if (fault.kind === 'drop-request') {
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'status') {
      const code = fault.status === 503 ? 'STORAGE_UNAVAILABLE' : 'RATE_LIMITED';
      res
        .writeHead(fault.status, {
          'content-type': 'application/json',
          'retry-after': String(fault.retryAfterSeconds),
          // The proxy's own answers tell the same (skewed) time as the server's it passes on.
          ...(dateSkewMs !== 0 && { date: new Date(Date.now() + dateSkewMs).toUTCString() }),
        })
        .end(
          JSON.stringify({
            error: {
              type: fault.status === 503 ? 'server' : 'request',
              code,
              reason: 'proxy',
              message: 'injected by the fault proxy',
            },
          }),
        );
      return;
    }
    let answer: Awaited<ReturnType<typeof forward>>;
    try {
      answer = await forward(req, body);
    } catch {
      req.socket.destroy(); // the server is down: the client sees a failed connection
      return;
    }
    record.upstreamStatus = answer.status;
    if (fault.kind === 'drop-answer') {
      req.socket.destroy();
      return;
    }
    const deliver = () => {
      if (res.destroyed || req.socket.destroyed) return;
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      delete headers.connection;
      if (dateSkewMs !== 0 && headers.date) {
        headers.date = new Date(Date.parse(headers.date) + dateSkewMs).toUTCString();
      }
      res
        .writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) })
        .end(answer.body);
    };
    if (fault.kind === 'delay') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        deliver();
      }, fault.ms);
      timers.add(timer);
    } else {
      deliver();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setTarget(url) {
      upstream = new URL(url);
    },
    setSchedule(next) {
      pick = next;
    },
    skewDate(seconds) {
      dateSkewMs = seconds * 1000;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
