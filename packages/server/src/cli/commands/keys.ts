import { generateKeyPair, KEY_ALGORITHMS, type KeyAlgorithm } from '@signet/issuer';
import type { KeyInfo } from '@signet/protocol';
import { type Command, Option } from 'commander';
import { adminCall, adminTarget } from '../admin-client.ts';
import { readTextFile, writeKeyFiles } from '../files.ts';
import { example, withAdminOptions } from '../options.ts';
import { print, printJson, printTable } from '../output.ts';
import { publicKeyFrom } from './token.ts';

interface AdminFlags {
  server?: string;
  adminToken?: string;
  json?: boolean;
}

export function keyCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description("Make key pairs locally; add, list and remove an app's public keys on a server");

  const generate = keys
    .command('generate')
    .description('Write a new key pair: private.pem (mode 0600, stays with your backend) and public.pem')
    .addOption(new Option('--alg <alg>', 'signing algorithm').choices([...KEY_ALGORITHMS]).default('ES256'))
    .option('--out <dir>', 'directory for private.pem and public.pem (made if missing)', '.')
    .option('--force', 'replace existing key files')
    .option('--json', 'print {alg, kid, privateKeyFile, publicKeyFile, publicJwk} as JSON');
  example(generate, 'npx signet keys generate --alg ES256 --out keys');
  generate.action(async (flags: { alg: KeyAlgorithm; out: string; force?: boolean; json?: boolean }) => {
    const pair = await generateKeyPair({ alg: flags.alg });
    const files = await writeKeyFiles(flags.out, pair, flags.force === true);
    if (flags.json) {
      return printJson({ alg: pair.alg, kid: pair.kid, ...files, publicJwk: pair.publicJwk });
    }
    print(`Wrote ${files.privateKeyFile} (private, mode 0600: keep it on your backend, never commit it)`);
    print(`Wrote ${files.publicKeyFile} (public: register it with Signet)`);
    print(`Key id (RFC 7638 thumbprint): ${pair.kid}`);
    print(`Next: npx signet keys add --app <appId> --file ${files.publicKeyFile}`);
  });

  const add = withAdminOptions(
    keys
      .command('add')
      .description('Register a public key (PEM or JWK) for an app; private keys are refused before sending')
      .requiredOption('--app <appId>', 'the app id')
      .requiredOption('--file <file>', 'the public key, e.g. keys/public.pem')
      .option('--kid <kid>', "key id tokens will name (default: the JWK's kid or the RFC 7638 thumbprint)")
      .option('--label <label>', 'a note for people, e.g. "prod 2026"'),
  );
  example(add, 'npx signet keys add --app "$APP" --file keys/public.pem --label main');
  add.action(async (flags: AdminFlags & { app: string; file: string; kid?: string; label?: string }) => {
    const target = adminTarget(flags, process.env);
    const text = await readTextFile(flags.file, '--file');
    // Checked here first by the server's own rules, so a private key is never sent anywhere.
    publicKeyFrom(text, flags.file, flags.kid);
    const isJwk = text.trimStart().startsWith('{');
    const body = {
      ...(isJwk ? { jwk: JSON.parse(text) as object } : { pem: text }),
      ...(flags.kid !== undefined && { kid: flags.kid }),
      ...(flags.label !== undefined && { label: flags.label }),
    };
    const path = `/admin/v1/apps/${encodeURIComponent(flags.app)}/keys`;
    const key = (await adminCall(target, 'POST', path, body)) as KeyInfo;
    if (flags.json) return printJson(key);
    print(
      `Added key ${key.kid} (${key.type}, fingerprint ${key.fingerprint.slice(0, 16)}…) to app ${flags.app}`,
    );
  });

  const list = withAdminOptions(
    keys
      .command('list')
      .description("List an app's public keys")
      .requiredOption('--app <appId>', 'the app id'),
  );
  example(list, 'npx signet keys list --app "$APP"');
  list.action(async (flags: AdminFlags & { app: string }) => {
    const path = `/admin/v1/apps/${encodeURIComponent(flags.app)}/keys`;
    const answer = (await adminCall(adminTarget(flags, process.env), 'GET', path)) as { keys: KeyInfo[] };
    if (flags.json) return printJson(answer);
    if (answer.keys.length === 0) return print(`App ${flags.app} has no keys yet`);
    printTable(
      ['KID', 'TYPE', 'LABEL', 'CREATED', 'LAST USED', 'USES'],
      answer.keys.map((k) => [k.kid, k.type, k.label, k.createdAt, k.lastUsedAt, k.useCount]),
    );
  });

  const remove = withAdminOptions(
    keys
      .command('remove')
      .description("Remove one of an app's public keys (not the last one while the mode is required)")
      .requiredOption('--app <appId>', 'the app id')
      .requiredOption('--kid <kid>', 'the key id, as `keys list` shows it'),
  );
  example(remove, 'npx signet keys remove --app "$APP" --kid old-key');
  remove.action(async (flags: AdminFlags & { app: string; kid: string }) => {
    const path = `/admin/v1/apps/${encodeURIComponent(flags.app)}/keys/${encodeURIComponent(flags.kid)}`;
    await adminCall(adminTarget(flags, process.env), 'DELETE', path);
    if (flags.json) return printJson({ kid: flags.kid, removed: true });
    print(`Removed key ${flags.kid} from app ${flags.app}`);
  });
}
