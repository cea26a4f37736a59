import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The server's entry point, run from its TypeScript source through tsx (a test tool: users run
// the compiled dist/), resolving workspace packages to their sources too.
const MAIN = fileURLToPath(new URL('../../server/src/main.ts', import.meta.url));

/** A real `signet serve` process on 127.0.0.1 and a free port. */
export interface ServerProcess {
  url: string;
  pid: number;
  output: () => string;
  /** Kills it at once, as a crash or the OOM killer would (no graceful shutdown). */
  kill(): Promise<void>;
  /** Graceful stop. */
  stop(): Promise<void>;
}

/**
 * Starts a real server process on 127.0.0.1 and a free port, rate limits off, with `env` on top
 * (at least SIGNET_DATABASE_URL and SIGNET_ADMIN_TOKEN).
 *
 * @example
 * const server = await startServerProcess({ SIGNET_DATABASE_URL: 'sqlite:/tmp/x/signet.db', SIGNET_ADMIN_TOKEN: token });
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@signet/source', '--import', 'tsx', MAIN],
    {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        SIGNET_LOG_LEVEL: 'warn',
        SIGNET_RATE_LIMIT_APP_PER_MINUTE: '0',
        SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += String(d);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    child.stdout?.on('data', () => {
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1].replace('://localhost', '://127.0.0.1'));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url,
    pid: child.pid as number,
    output: () => output,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}
