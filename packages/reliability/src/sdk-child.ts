/*
 * A separate Node process running the real SDK with its file store, for the "SDK killed
 * mid-queue" scenario. Settings come in SIGNET_CHILD (JSON). Modes:
 * - `track`: tracks numbered events for the users in turn, forever; after each event is written
 *   to the file it prints `tracked <seq> <user>` (so the parent knows what was durably tracked);
 * - `drain`: opens the same file, sends everything left, prints `stats <json>`.
 */
import { fileStorage, Signet } from '@signet/sdk';

interface ChildSettings {
  mode: 'track' | 'drain';
  appId: string;
  endpoint: string;
  file: string;
  tokens: Record<string, string>;
  everyMs: number;
  /** First seq this run tracks (runs must not reuse numbers). */
  firstSeq: number;
}

const settings = JSON.parse(process.env.SIGNET_CHILD as string) as ChildSettings;
const storage = fileStorage(settings.file);
const signet = Signet.init({
  appId: settings.appId,
  endpoint: settings.endpoint,
  networkRequest: { authorization: { jwtEnabled: true } },
  storage,
  flushAt: 5,
  flushIntervalMs: 100,
  requestTimeoutMs: 1_000,
  random: () => 0,
});

if (settings.mode === 'track') {
  const users = Object.keys(settings.tokens);
  let current: string | undefined;
  for (let seq = settings.firstSeq; ; seq++) {
    const user = users[Math.floor(seq / 3) % users.length] as string;
    if (user !== current) {
      signet.identify(user);
      signet.passAuthenticationDetails({
        type: 'jwt',
        token: settings.tokens[user] as string,
        userIdentifier: user,
      });
      current = user;
    }
    signet.track('reliability', { seq, user });
    await storage.persist?.();
    process.stdout.write(`tracked ${seq} ${user}\n`);
    await new Promise((resolve) => setTimeout(resolve, settings.everyMs));
  }
} else {
  const end = Date.now() + 30_000;
  while (signet.stats().queued > 0 && Date.now() < end) {
    await signet.flush();
    if (signet.stats().queued > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  process.stdout.write(`stats ${JSON.stringify(signet.stats())}\n`);
  await signet.close();
}
