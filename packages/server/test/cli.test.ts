import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTokenIssuer, generateKeyPair, KEY_ALGORITHMS } from '@signet/issuer';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../src/cli/program.ts';
import {
  ADMIN_TOKEN,
  BIN,
  type CliRun,
  closedPort,
  NODE_ARGS,
  type RealServer,
  requiredApp,
  runCli,
  startRealServer,
  tempDir,
} from './cli-helpers.ts';

let server: RealServer;
let tmp: ReturnType<typeof tempDir>;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startRealServer();
  tmp = tempDir();
  env = { SIGNET_URL: server.url, SIGNET_ADMIN_TOKEN: ADMIN_TOKEN };
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

/** A failure as SPEC §7 wants it: non-zero exit, nothing on stdout, exactly one line on stderr. */
function expectOneLineError(run: CliRun, message: RegExp): void {
  expect({ code: run.code === 0 ? 0 : 'non-zero', stdout: run.stdout }).toEqual({
    code: 'non-zero',
    stdout: '',
  });
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^signet: /);
  expect(run.stderr.trimEnd()).toMatch(message);
}

const dirFor = (name: string) => join(tmp.dir, name);

/**
 * For the tests that start a dozen or more CLI processes one after another: each compiles
 * through tsx, about 0.4 s alone but over 1.5 s while the rest of the suite shares the two cores
 * (one such test ran past the default 20 s in CI).
 */
const SPAWNS_PROCESSES = { timeout: 60_000 };

describe('keys generate + token mint (real processes) → accepted by the real server in required mode', () => {
  it.each(KEY_ALGORITHMS)('%s', async (alg) => {
    const dir = dirFor(alg);
    const generated = await runCli(['keys', 'generate', '--alg', alg, '--out', dir, '--json']);
    expect(generated.stderr).toBe('');
    expect(generated.code).toBe(0);
    const info = JSON.parse(generated.stdout);
    expect(info).toMatchObject({
      alg,
      privateKeyFile: join(dir, 'private.pem'),
      publicKeyFile: join(dir, 'public.pem'),
    });
    expect(statSync(info.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(info.privateKeyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(generated.stdout).not.toContain('PRIVATE KEY');

    const { appId, kid } = await requiredApp(server, readFileSync(info.publicKeyFile, 'utf8'));
    expect(kid).toBe(info.kid);
    const minted = await runCli([
      'token',
      'mint',
      '--key',
      info.privateKeyFile,
      '--sub',
      'user-1',
      '--kid',
      kid,
      '--alg',
      alg,
    ]);
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    expect(minted.stdout).toBe(`${token}\n`);
    expect(await server.ingest(appId, 'user-1', token)).toEqual({
      status: 200,
      body: { accepted: 1, duplicates: 0 },
    });
    const forOther = await server.ingest(appId, 'user-2', token);
    expect(forOther.body.error).toMatchObject({ code: 'IDENTIFIER_MISMATCH' });
  });

  it('refuses to overwrite a key pair without --force, and --force replaces it with mode 0600', async () => {
    const dir = tmp.dir;
    const first = await runCli(['keys', 'generate', '--out', dir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/private\.pem \(private, mode 0600/);
    const before = readFileSync(join(dir, 'private.pem'), 'utf8');
    const again = await runCli(['keys', 'generate', '--out', dir]);
    expectOneLineError(
      again,
      /private\.pem already exists; not overwriting a key \(use --force to replace it\)/,
    );
    expect(readFileSync(join(dir, 'private.pem'), 'utf8')).toBe(before);
    chmodSync(join(dir, 'private.pem'), 0o644);
    const forced = await runCli(['keys', 'generate', '--out', dir, '--force', '--alg', 'EdDSA']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'private.pem'), 'utf8')).not.toBe(before);
    expect(statSync(join(dir, 'private.pem')).mode & 0o777).toBe(0o600);
    const fresh = await runCli(['keys', 'generate', '--out', join(dir, 'new', 'keys')]);
    expect(fresh.code).toBe(0);
    expect(statSync(join(dir, 'new', 'keys')).mode & 0o777).toBe(0o700);
    const onFile = await runCli(['keys', 'generate', '--out', join(dir, 'private.pem')]);
    expectOneLineError(onFile, /--out .*private\.pem: not a directory$/);
  });
});

describe('token verify agrees with the server', () => {
  it('on valid, expired, wrong-key and wrong-subject tokens', async () => {
    const pair = await generateKeyPair({ alg: 'ES256' });
    const other = await generateKeyPair({ alg: 'ES256' });
    const publicFile = join(tmp.dir, 'verify-public.pem');
    writeFileSync(publicFile, pair.publicKeyPem);
    const { appId } = await requiredApp(server, pair.publicKeyPem);
    const issuer = createTokenIssuer({ privateKey: pair.privateKeyPem });
    const cases = {
      valid: await issuer.issue('user-1'),
      expired: await createTokenIssuer({
        privateKey: pair.privateKeyPem,
        now: () => Date.now() - 3_600_000,
      }).issue('user-1'),
      wrongKey: await createTokenIssuer({ privateKey: other.privateKeyPem }).issue('user-1'),
      wrongSubject: await issuer.issue('user-9'),
    };
    const runs = await Promise.all(
      Object.values(cases).map((token) =>
        runCli(['token', 'verify', token, '--key', publicFile, '--sub', 'user-1', '--json']),
      ),
    );
    const seen: Record<string, unknown> = {};
    for (const [i, [name, token]] of Object.entries(cases).entries()) {
      const run = runs[i] as CliRun;
      const cli = JSON.parse(run.stdout);
      const remote = await server.ingest(appId, 'user-1', token);
      expect(run.code === 0).toBe(remote.status === 200);
      seen[name] = cli.ok
        ? ['ok', remote.status]
        : [cli.code, cli.reason, remote.status, remote.body.error.code, remote.body.error.reason];
    }
    expect(seen).toEqual({
      valid: ['ok', 200],
      expired: ['TIME_CONSTRAINT_FAILURE', 'expired', 401, 'TIME_CONSTRAINT_FAILURE', 'expired'],
      wrongKey: ['INVALID_SIGNATURE', 'signature_invalid', 401, 'INVALID_SIGNATURE', 'signature_invalid'],
      wrongSubject: [
        'IDENTIFIER_MISMATCH',
        'subject_mismatch',
        401,
        'IDENTIFIER_MISMATCH',
        'subject_mismatch',
      ],
    });

    const [ok, bad] = await Promise.all([
      runCli(['token', 'verify', cases.valid, '--key', publicFile, '--sub', 'user-1']),
      runCli(['token', 'verify', cases.expired, '--key', publicFile]),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      new RegExp(`^valid: token for "user-1", verified with key ${pair.kid}, expires in 1[45] min\n$`),
    );
    expectOneLineError(
      bad,
      /^signet: invalid token: TIME_CONSTRAINT_FAILURE \(expired\): The token has expired/,
    );
  });
});

describe('token inspect', () => {
  it('shows header, claims and the expiry in words, and says it did not verify', async () => {
    const pair = await generateKeyPair({ alg: 'ES256' });
    const token = await createTokenIssuer({
      privateKey: pair.privateKeyPem,
      ttl: '15m',
      now: () => Date.now() - 3 * 3_600_000 - 15 * 60_000 - 30_000,
    }).issue('user-42');
    const [human, json] = await Promise.all([
      runCli(['token', 'inspect', token]),
      runCli(['token', 'inspect', '--json'], { input: `${token}\n` }),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^NOT VERIFIED: /);
    expect(human.stdout).toContain('claims  {"sub":"user-42"');
    expect(human.stdout).toMatch(/expiry {2}\S+Z \(expired 3 h ago\)/);
    expect(JSON.parse(json.stdout)).toMatchObject({
      verified: false,
      header: { alg: 'ES256', typ: 'JWT' },
      claims: { sub: 'user-42' },
      expiry: 'expired 3 h ago',
    });
    expectOneLineError(await runCli(['token', 'inspect', 'abc.def']), /^signet: Not a JWT/);
  });
});

describe('admin commands against a running server', SPAWNS_PROCESSES, () => {
  it('create an app, add a key, set the mode; then CLI tokens pass and the last key is guarded', async () => {
    const dir = dirFor('admin');
    expect((await runCli(['keys', 'generate', '--out', dir])).code).toBe(0);

    const created = await runCli(['apps', 'create', '--name', 'My shop'], { env });
    expect(created.code).toBe(0);
    const appId = created.stdout.trim();
    expect(appId).toMatch(/^app_/);
    expect(created.stderr).toContain('Created app "My shop" (JWT mode disabled)');
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body).toMatchObject({ name: 'My shop' });

    const listed = await runCli(['apps', 'list', '--json'], { env });
    expect(JSON.parse(listed.stdout).apps).toContainEqual(
      expect.objectContaining({ id: appId, name: 'My shop' }),
    );

    // Flags instead of the environment.
    const added = await runCli([
      'keys',
      'add',
      '--app',
      appId,
      '--file',
      join(dir, 'public.pem'),
      '--label',
      'main',
      '--kid',
      'main-1',
      '--server',
      server.url,
      '--admin-token',
      ADMIN_TOKEN,
    ]);
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/^Added key main-1 \(EC P-256, fingerprint [0-9a-f]{16}…\) to app app_/);
    const keys = (await server.admin('GET', `/admin/v1/apps/${appId}/keys`)).body.keys;
    expect(keys).toEqual([expect.objectContaining({ kid: 'main-1', label: 'main', type: 'EC P-256' })]);

    const set = await runCli(
      ['jwt', 'set', '--app', appId, '--mode', 'required', '--audience', 'shop', '--json'],
      { env },
    );
    expect(JSON.parse(set.stdout)).toMatchObject({ mode: 'required', audience: 'shop' });
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.jwt).toMatchObject({
      mode: 'required',
      audience: 'shop',
    });

    const mint = (extra: string[]) =>
      runCli([
        'token',
        'mint',
        '--key',
        join(dir, 'private.pem'),
        '--sub',
        'user-5',
        '--kid',
        'main-1',
        ...extra,
      ]);
    const [withAud, withoutAud] = await Promise.all([mint(['--aud', 'shop', '--json']), mint([])]);
    const minted = JSON.parse(withAud.stdout);
    expect(minted.claims).toMatchObject({ sub: 'user-5', aud: 'shop' });
    expect(minted.header).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'main-1' });
    expect((await server.ingest(appId, 'user-5', minted.token)).status).toBe(200);
    const noAud = await server.ingest(appId, 'user-5', withoutAud.stdout.trim());
    expect(noAud.body.error).toMatchObject({ reason: 'audience_mismatch' });

    const cleared = await runCli(['jwt', 'set', '--app', appId, '--mode', 'optional', '--no-audience'], {
      env,
    });
    expect(cleared.stdout).toMatch(/^App app_\w+: mode optional, audience -, issuer -, clock tolerance 60 s/);

    // An identity provider (SPEC §4.1): its JWKS URL or discovery, and the user id claim.
    const provider = await runCli(
      [
        'jwt',
        'set',
        '--app',
        appId,
        '--mode',
        'optional',
        '--issuer',
        'https://idp.example.com/',
        '--jwks-url',
        'https://idp.example.com/jwks',
        '--user-id-claim',
        'email',
        '--json',
      ],
      { env },
    );
    expect(JSON.parse(provider.stdout)).toMatchObject({
      jwksUrl: 'https://idp.example.com/jwks',
      discovery: false,
      userIdClaim: 'email',
    });
    const discovered = await runCli(['jwt', 'set', '--app', appId, '--mode', 'optional', '--discovery'], {
      env,
    });
    expect(discovered.stdout).toMatch(/identity provider discovery, user id claim email\n$/);
    const refused = await runCli(
      ['jwt', 'set', '--app', appId, '--mode', 'optional', '--jwks-url', 'http://idp.example.com/jwks'],
      { env },
    );
    expectOneLineError(refused, /400 JWKS_URL_INVALID/);
    await runCli(
      [
        'jwt',
        'set',
        '--app',
        appId,
        '--mode',
        'optional',
        '--no-discovery',
        '--no-issuer',
        '--user-id-claim',
        'sub',
      ],
      { env },
    );

    const listedKeys = await runCli(['keys', 'list', '--app', appId], { env });
    expect(listedKeys.stdout).toMatch(
      /^KID\s+TYPE\s+LABEL\s+CREATED\s+LAST USED\s+USES\nmain-1\s+EC P-256\s+main\s+\S+\s+\S+\s+1\n$/,
    );

    await runCli(['jwt', 'set', '--app', appId, '--mode', 'required'], { env });
    const last = await runCli(['keys', 'remove', '--app', appId, '--kid', 'main-1'], { env });
    expectOneLineError(
      last,
      /DELETE \/admin\/v1\/apps\/app_\w+\/keys\/main-1 failed: 409 LAST_KEY: This is the last key/,
    );
    await runCli(['jwt', 'set', '--app', appId, '--mode', 'disabled'], { env });
    const removed = await runCli(['keys', 'remove', '--app', appId, '--kid', 'main-1', '--json'], { env });
    expect(JSON.parse(removed.stdout)).toEqual({ kid: 'main-1', removed: true });
    expect((await server.admin('GET', `/admin/v1/apps/${appId}/keys`)).body.keys).toEqual([]);
  });
});

describe('errors: one line on stderr, non-zero exit', SPAWNS_PROCESSES, () => {
  it('for missing files, wrong key types, bad options, unreachable servers and refused admin tokens', async () => {
    const pair = await generateKeyPair({ alg: 'ES256' });
    const privateFile = join(tmp.dir, 'err-private.pem');
    const publicFile = join(tmp.dir, 'err-public.pem');
    writeFileSync(privateFile, pair.privateKeyPem, { mode: 0o600 });
    writeFileSync(publicFile, pair.publicKeyPem);
    const created = await server.admin('POST', '/admin/v1/apps', { name: 'errors' });
    const appId = created.body.id as string;
    const port = await closedPort();
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [
        ['token', 'mint', '--key', join(tmp.dir, 'missing.pem'), '--sub', 'u'],
        /--key .*missing\.pem: no such file or directory$/,
      ],
      [
        ['token', 'mint', '--key', publicFile, '--sub', 'u'],
        /--key .*err-public\.pem: This is a public key; tokens are signed with the private key/,
      ],
      [
        ['token', 'mint', '--key', privateFile, '--sub', 'u', '--alg', 'RS256'],
        /A EC P-256 key signs ES256, not RS256/,
      ],
      [
        ['token', 'mint', '--key', privateFile, '--sub', 'u', '--ttl', '15 weeks'],
        /^signet: --ttl: ttl must be seconds or a duration/,
      ],
      [['token', 'mint', '--key', privateFile], /^signet: required option '--sub <userId>' not specified$/],
      [
        ['token', 'verify', 'a.b.c', '--key', privateFile],
        /err-private\.pem is a private key; give the public key/,
      ],
      [
        ['keys', 'add', '--app', appId, '--file', privateFile],
        /err-private\.pem is a private key; give the public key/,
        env,
      ],
      [['keys', 'add', '--app', appId, '--file', tmp.dir], /--file .*: is a directory, not a key file/, env],
      [
        ['apps', 'list'],
        /cannot reach the Signet server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
        { SIGNET_URL: `http://127.0.0.1:${port}`, SIGNET_ADMIN_TOKEN: ADMIN_TOKEN },
      ],
      [
        ['apps', 'list'],
        /the server refused the admin token \(401 ADMIN_UNAUTHORIZED: The admin token is not valid\)/,
        { SIGNET_URL: server.url, SIGNET_ADMIN_TOKEN: 'wrong-token-0123456789' },
      ],
      [
        ['apps', 'list'],
        /no admin token: set SIGNET_ADMIN_TOKEN or pass --admin-token/,
        { SIGNET_URL: server.url },
      ],
      [['apps', 'list', '--server', 'ftp://x'], /must be an http or https URL/, env],
      [
        ['keys', 'list', '--app', 'app_nope'],
        /GET \/admin\/v1\/apps\/app_nope\/keys failed: 404 APP_NOT_FOUND/,
        env,
      ],
      [
        ['jwt', 'set', '--app', appId, '--mode', 'strict'],
        /argument 'strict' is invalid\. Allowed choices are disabled, optional, required/,
        env,
      ],
      [['jwt', 'set', '--app', appId, '--mode', 'required'], /409 NO_KEYS: Register a public key/, env],
      [
        ['serve', '--port', '99999'],
        /^signet: --port \(PORT\) must be an integer from 0 to 65535, got "99999"$/,
      ],
      [['tokn'], /unknown command 'tokn' \(Did you mean token\?\)/],
    ];
    const runs = await Promise.all(cases.map(([args, , caseEnv]) => runCli(args, { env: caseEnv ?? {} })));
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i] as CliRun;
      // Labelled with the command, so a failure names the case.
      expect({ args: args.join(' '), failed: run.code !== 0 }).toEqual({
        args: args.join(' '),
        failed: true,
      });
      expectOneLineError(run, message);
    }
    // The private key was refused before any request: the app still has no keys.
    expect((await server.admin('GET', `/admin/v1/apps/${appId}/keys`)).body.keys).toEqual([]);
  });
});

describe('help', () => {
  /** Every command, with the text its --help prints (captured in process). */
  function helpTexts(): Map<string, string> {
    const texts = new Map<string, string>();
    const walk = (command: Command, path: string[]) => {
      let text = '';
      command.configureOutput({
        writeOut: (chunk) => {
          text += chunk;
        },
      });
      command.outputHelp();
      texts.set(path.join(' '), text);
      for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    };
    walk(createProgram(), ['signet']);
    return texts;
  }

  it('every leaf command has an example; the real bin prints help with exit 0', async () => {
    const texts = helpTexts();
    const leaves = [
      'serve',
      'migrate',
      'keys generate',
      'keys add',
      'keys list',
      'keys remove',
      'token mint',
      'token inspect',
      'token verify',
      'apps create',
      'apps list',
      'jwt set',
      'apps rename',
      'apps retention',
      'apps delete',
      'users delete',
      'audit list',
    ].map((leaf) => `signet ${leaf}`);
    for (const leaf of leaves) {
      expect(texts.get(leaf), leaf).toMatch(/\nExample:\n {2}\$ (\w+=\$\()?npx signet /);
    }
    // Every command that prints data offers --json; serve and migrate print only status lines.
    for (const leaf of leaves.filter((name) => !/ (serve|migrate)$/.test(name))) {
      expect(texts.get(leaf), leaf).toMatch(/\n {2}--json /);
    }
    const run = await runCli(['token', 'mint', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'Example:\n  $ TOKEN=$(npx signet token mint --key keys/private.pem --sub user-42 --ttl 15m)',
    );
  });
});

describe('serve and migrate', () => {
  it('serve starts the server, prints the URL and a generated admin token once; admin calls work with it', async () => {
    const db = join(tmp.dir, 'served.db');
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, BIN, 'serve', '--port', '0', '--database-url', `sqlite:${db}`, '--log-level', 'warn'],
      {
        env: { ...process.env, SIGNET_ADMIN_TOKEN: '', PORT: '' },
      },
    );
    try {
      let out = '';
      const printed = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          out += String(chunk);
          if (/Keep it: export/.test(out)) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      const url = /Signet is running at (http:\/\/localhost:\d+)/.exec(printed)?.[1] as string;
      const token = /export SIGNET_ADMIN_TOKEN=(sgn_admin_\S+)/.exec(printed)?.[1] as string;
      expect(existsSync(db)).toBe(true);
      const list = await runCli(['apps', 'list', '--json'], {
        env: { SIGNET_URL: url.replace('localhost', '127.0.0.1'), SIGNET_ADMIN_TOKEN: token },
      });
      expect(JSON.parse(list.stdout)).toEqual({ apps: [] });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('migrate creates and migrates the database, then exits', async () => {
    const db = join(tmp.dir, 'migrated.db');
    const run = await runCli(['migrate', '--database-url', `sqlite:${db}`]);
    expect(run).toEqual({ code: 0, stdout: `Migrations are up to date on sqlite:${db}\n`, stderr: '' });
    expect(statSync(db).size).toBeGreaterThan(0);
  });
});
