import type { AuthenticationError } from '../src/core/authentication-error.ts';
import { memoryStorage } from '../src/core/memory-storage.ts';
import type { SignetOptions } from '../src/core/options.ts';
import { SignetClient } from '../src/core/signet-client.ts';
import { FakeClock, fakeToken, fakeTransport, type SentRequest } from './fakes.ts';

/** A client on a fake clock and a scripted transport, with its listener calls recorded. */
export function harness(
  options: Partial<SignetOptions> = {},
  answer?: Parameters<typeof fakeTransport>[0],
  clock = new FakeClock(),
) {
  const storage = options.storage ?? memoryStorage();
  const { transport, requests } = fakeTransport(answer);
  const errors: AuthenticationError['data'][] = [];
  const make = () => {
    const client = new SignetClient(
      {
        appId: 'app-1',
        endpoint: 'http://collect.test',
        networkRequest: { authorization: { jwtEnabled: true } },
        clock,
        transport,
        storage,
        random: () => 0.5,
        ...options,
      },
      { storage, transport, sdkName: 'signet-test' },
    );
    client.registerAuthenticationListener((error) => {
      errors.push(error.data);
    });
    return client;
  };
  const signet = make();
  /** A token for `sub` that expires `ttl` seconds from now on the fake clock. */
  const token = (sub: string, ttl = 900, tag = '') =>
    fakeToken({ sub, exp: Math.floor(clock.time / 1000) + ttl }, tag);
  const userOf = (r: SentRequest) =>
    'id' in r.batch.user ? r.batch.user.id : `anon:${r.batch.user.anonymousId}`;
  return { clock, storage, signet, requests, errors, token, make, userOf };
}
