import {
  createTokenIssuer,
  inspectToken,
  publicKeyInput,
  SigningKeyError,
  verifyToken,
} from '@signet/issuer';
import { KeyInvalidError, type PublicKeyRecord, parsePublicKey } from '@signet/verifier';
import { type Command, Option } from 'commander';
import { CliError } from '../cli-error.ts';
import { readTextFile } from '../files.ts';
import { example, integerIn } from '../options.ts';
import { print, printJson } from '../output.ts';

interface MintFlags {
  key: string;
  sub: string;
  ttl: string;
  kid?: string;
  aud?: string;
  iss?: string;
  alg?: string;
  json?: boolean;
}

interface VerifyFlags {
  key: string[];
  sub?: string;
  aud?: string;
  iss?: string;
  clockTolerance?: number;
  maxLifetime?: number;
  json?: boolean;
}

export function tokenCommands(program: Command): void {
  const token = program.command('token').description('Mint, inspect and verify user tokens (JWTs)');

  const mint = token
    .command('mint')
    .description("Sign a token for a user with the app's private key, as the app's backend would")
    .requiredOption('--key <file>', 'the private key (PEM or JWK), e.g. keys/private.pem')
    .requiredOption('--sub <userId>', "the user the token is for (the SDK batch's user.id)")
    .option('--ttl <duration>', 'lifetime: seconds or 90s, 15m, 2h, 1d', '15m')
    .option('--kid <kid>', 'key id in the header (the kid the key was registered under)')
    .option('--aud <audience>', 'the "aud" claim, when the app requires an audience')
    .option('--iss <issuer>', 'the "iss" claim, when the app requires an issuer')
    .addOption(
      new Option('--alg <alg>', "signing algorithm (default: the key's own, e.g. ES256 for P-256)").choices([
        'RS256',
        'RS384',
        'RS512',
        'PS256',
        'PS384',
        'PS512',
        'ES256',
        'ES384',
        'ES512',
        'EdDSA',
      ]),
    )
    .option('--json', 'print {token, expiresAt, header, claims} as JSON');
  example(mint, 'TOKEN=$(npx signet token mint --key keys/private.pem --sub user-42 --ttl 15m)');
  mint.action(async (flags: MintFlags) => {
    const text = await readTextFile(flags.key, '--key');
    let issuer: ReturnType<typeof createTokenIssuer>;
    try {
      issuer = createTokenIssuer({
        privateKey: keyMaterial(text, flags.key),
        ttl: flags.ttl,
        ...(flags.alg !== undefined && { alg: flags.alg }),
        ...(flags.kid !== undefined && { kid: flags.kid }),
        ...(flags.aud !== undefined && { audience: flags.aud }),
        ...(flags.iss !== undefined && { issuer: flags.iss }),
      });
    } catch (error) {
      if (error instanceof SigningKeyError) throw new CliError(`--key ${flags.key}: ${error.message}`);
      const message = error instanceof Error ? error.message : String(error);
      // The library names its option (ttl, kid, audience, issuer); say which flag that is.
      const flag = { ttl: '--ttl', kid: '--kid', audience: '--aud', issuer: '--iss' }[
        message.split(' ')[0] ?? ''
      ];
      throw new CliError(flag ? `${flag}: ${message}` : message);
    }
    const issued = await issuer.issueWithExpiry(flags.sub).catch((error: unknown) => {
      throw new CliError(`--sub: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (flags.json) {
      const { header, claims } = inspectToken(issued.token);
      printJson({ ...issued, header, claims });
    } else {
      print(issued.token);
    }
  });

  const inspect = token
    .command('inspect')
    .description('Show a token\'s header, claims and expiry WITHOUT verifying it ("-" reads stdin)')
    .argument('[token]', 'the token, or - (the default) to read it from stdin', '-')
    .option('--json', 'print {verified: false, header, claims, expiresAt, expiry} as JSON');
  example(inspect, 'npx signet token inspect "$TOKEN"', 'pbpaste | npx signet token inspect');
  inspect.action(async (tokenArg: string, flags: { json?: boolean }) => {
    const text = tokenArg === '-' ? await readStdin() : tokenArg;
    let inspected: ReturnType<typeof inspectToken>;
    try {
      inspected = inspectToken(text.trim());
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error));
    }
    if (flags.json) {
      printJson({ verified: false, ...inspected });
      return;
    }
    print('NOT VERIFIED: this only decodes the token; check it with `signet token verify`.');
    print(`header  ${JSON.stringify(inspected.header)}`);
    print(`claims  ${JSON.stringify(inspected.claims)}`);
    print(
      `expiry  ${inspected.expiresAt ? `${inspected.expiresAt} (${inspected.expiry})` : inspected.expiry}`,
    );
  });

  const verify = token
    .command('verify')
    .description("Check a token with the app's public key(s) by the same rules as the server")
    .argument('<token>', 'the token')
    .requiredOption(
      '--key <file>',
      'a public key (PEM or JWK); repeat for several keys',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--sub <userId>', 'the user the data is for: the token\'s "sub" must equal it')
    .option('--aud <audience>', "required audience, as in the app's settings")
    .option('--iss <issuer>', "required issuer, as in the app's settings")
    .option('--clock-tolerance <seconds>', 'leeway for exp/nbf/iat (default 60)', integerIn(0, 300))
    .option('--max-lifetime <seconds>', 'longest allowed exp - iat', integerIn(1, 31_536_000))
    .option('--json', 'print the verification result as JSON (exit code still 1 when invalid)');
  example(verify, 'npx signet token verify "$TOKEN" --key keys/public.pem --sub user-42');
  verify.action(async (tokenArg: string, flags: VerifyFlags) => {
    const keys: PublicKeyRecord[] = [];
    for (const file of flags.key) keys.push(publicKeyFrom(await readTextFile(file, '--key'), file));
    const result = await verifyToken(tokenArg.trim(), keys, {
      ...(flags.sub !== undefined && { subject: flags.sub }),
      ...(flags.aud !== undefined && { audience: flags.aud }),
      ...(flags.iss !== undefined && { issuer: flags.iss }),
      ...(flags.clockTolerance !== undefined && { clockToleranceSeconds: flags.clockTolerance }),
      ...(flags.maxLifetime !== undefined && { maxTokenLifetimeSeconds: flags.maxLifetime }),
    });
    if (flags.json) printJson(result);
    if (!result.ok) {
      if (flags.json) process.exitCode = 1;
      else throw new CliError(`invalid token: ${result.code} (${result.reason}): ${result.message}`);
      return;
    }
    if (!flags.json) {
      const expiry = inspectToken(tokenArg.trim()).expiry;
      print(`valid: token for "${result.subject}", verified with key ${result.kid}, ${expiry}`);
    }
  });
}

/** PEM text as it is; JSON text parsed, so a private JWK file can sign too. */
function keyMaterial(text: string, file: string): string | Record<string, unknown> {
  if (!text.trimStart().startsWith('{')) return text;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CliError(`--key ${file}: not valid JSON (expected a PEM file or a JWK)`);
  }
}

/** The same checks as the server's key registration; a private key is named as the wrong file. */
export function publicKeyFrom(text: string, file: string, kid?: string): PublicKeyRecord {
  try {
    return parsePublicKey({ ...publicKeyInput(text), ...(kid !== undefined && { kid }) });
  } catch (error) {
    if (error instanceof KeyInvalidError && error.reason === 'private_key') {
      throw new CliError(
        `${file} is a private key; give the public key (e.g. public.pem). Private keys never leave your backend`,
      );
    }
    throw new CliError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('no token given: pass it as an argument or pipe it on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
