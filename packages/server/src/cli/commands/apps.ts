import type { AppInfo, AppUpdate, JwtSettings } from '@signet/protocol';
import { type Command, Option } from 'commander';
import { adminCall, adminTarget, LONG_TIMEOUT_MS } from '../admin-client.ts';
import { CliError } from '../cli-error.ts';
import { example, integerIn, withAdminOptions } from '../options.ts';
import { print, printJson, printTable } from '../output.ts';

interface AdminFlags {
  server?: string;
  adminToken?: string;
  json?: boolean;
}

export function appCommands(program: Command): void {
  const apps = program.command('apps').description('Create and list apps on a running server (admin API)');

  const create = withAdminOptions(
    apps
      .command('create')
      .description('Create an app (JWT mode starts as disabled); prints its id')
      .requiredOption('--name <name>', 'a name for people, e.g. "My shop"'),
  );
  example(create, 'APP=$(npx signet apps create --name "My shop")');
  create.action(async (flags: AdminFlags & { name: string }) => {
    const app = (await adminCall(adminTarget(flags, process.env), 'POST', '/admin/v1/apps', {
      name: flags.name,
    })) as AppInfo;
    if (flags.json) return printJson(app);
    // The id alone on stdout, for APP=$(…); the sentence for people on stderr.
    print(app.id);
    process.stderr.write(
      `Created app "${app.name}" (JWT mode ${app.jwt.mode}). Next: npx signet keys add --app ${app.id} --file public.pem\n`,
    );
  });

  const list = withAdminOptions(apps.command('list').description('List the apps'));
  example(list, 'npx signet apps list --json');
  list.action(async (flags: AdminFlags) => {
    const answer = (await adminCall(adminTarget(flags, process.env), 'GET', '/admin/v1/apps')) as {
      apps: AppInfo[];
    };
    if (flags.json) return printJson(answer);
    if (answer.apps.length === 0) return print('No apps yet: npx signet apps create --name "My shop"');
    printTable(
      ['ID', 'NAME', 'JWT MODE', 'RETENTION', 'CREATED'],
      answer.apps.map((app) => [app.id, app.name, app.jwt.mode, retention(app), app.createdAt]),
    );
  });

  const rename = withAdminOptions(
    apps
      .command('rename')
      .description('Rename an app')
      .requiredOption('--app <appId>', 'the app id')
      .requiredOption('--name <name>', 'the new name'),
  );
  example(rename, 'npx signet apps rename --app "$APP" --name "My shop (EU)"');
  rename.action(async (flags: AdminFlags & { app: string; name: string }) => {
    const app = await patchApp(flags, { name: flags.name });
    if (flags.json) return printJson(app);
    print(`App ${app.id} is now named "${app.name}"`);
  });

  const retain = withAdminOptions(
    apps
      .command('retention')
      .description("Set how long the server keeps an app's events (it deletes older ones itself)")
      .requiredOption('--app <appId>', 'the app id')
      .option('--days <days>', 'keep events this many days after they arrived, 1-3650', integerIn(1, 3650))
      .option('--forever', 'keep events forever (the default for a new app)'),
  );
  example(retain, 'npx signet apps retention --app "$APP" --days 90');
  retain.action(async (flags: AdminFlags & { app: string; days?: number; forever?: boolean }) => {
    if ((flags.days === undefined) === (flags.forever === undefined)) {
      throw new CliError('give either --days <1-3650> or --forever');
    }
    const app = await patchApp(flags, { retentionDays: flags.days ?? null });
    if (flags.json) return printJson(app);
    print(`App ${app.id} keeps events ${retention(app)}`);
  });

  const remove = withAdminOptions(
    apps
      .command('delete')
      .description('Delete an app and everything of it: keys, settings, events, profiles, counters')
      .requiredOption('--app <appId>', 'the app id')
      .option('--confirm <appId>', 'the app id again: nothing is deleted without it'),
  );
  example(remove, 'npx signet apps delete --app "$APP" --confirm "$APP"');
  remove.action(async (flags: AdminFlags & { app: string; confirm?: string }) => {
    if (flags.confirm !== flags.app) {
      throw new CliError(
        `deleting app ${flags.app} deletes all its data for good; repeat its id with --confirm ${flags.app}`,
      );
    }
    const path = `/admin/v1/apps/${encodeURIComponent(flags.app)}?confirm=${encodeURIComponent(flags.confirm)}`;
    await adminCall(adminTarget(flags, process.env), 'DELETE', path, undefined, LONG_TIMEOUT_MS);
    if (flags.json) return printJson({ deleted: flags.app });
    print(`Deleted app ${flags.app} and all its data; its ingestion URL now answers 404`);
  });
}

function retention(app: AppInfo): string {
  return app.retentionDays === null ? 'forever' : `${app.retentionDays} days`;
}

function patchApp(flags: AdminFlags & { app: string }, body: AppUpdate): Promise<AppInfo> {
  const path = `/admin/v1/apps/${encodeURIComponent(flags.app)}`;
  return adminCall(adminTarget(flags, process.env), 'PATCH', path, body) as Promise<AppInfo>;
}

interface JwtFlags extends AdminFlags {
  app: string;
  mode: JwtSettings['mode'];
  audience?: string | false;
  issuer?: string | false;
  clockTolerance?: number;
  maxLifetime?: number | false;
  jwksUrl?: string | false;
  discovery?: boolean;
  userIdClaim?: string;
}

export function jwtCommands(program: Command): void {
  const jwt = program.command('jwt').description("Set an app's token rules on a running server (admin API)");
  const set = withAdminOptions(
    jwt
      .command('set')
      .description('Set the JWT mode and checks; settings not given keep their value')
      .requiredOption('--app <appId>', 'the app id')
      .addOption(
        new Option('--mode <mode>', 'disabled | optional | required')
          .choices(['disabled', 'optional', 'required'])
          .makeOptionMandatory(),
      )
      .option('--audience <aud>', 'require this "aud"')
      .option('--no-audience', 'stop requiring an audience')
      .option('--issuer <iss>', 'require this "iss"')
      .option('--no-issuer', 'stop requiring an issuer')
      .option('--clock-tolerance <seconds>', 'leeway for exp/nbf/iat, 0-300', integerIn(0, 300))
      .option('--max-lifetime <seconds>', 'longest allowed exp - iat', integerIn(1, 31_536_000))
      .option('--no-max-lifetime', 'allow any lifetime')
      .option('--jwks-url <url>', "verify tokens with the identity provider's JWKS (https; needs --issuer)")
      .option('--no-jwks-url', "stop using the provider's JWKS URL")
      .option('--discovery', "find the provider's JWKS through OpenID discovery on --issuer")
      .option('--no-discovery', 'stop using OpenID discovery')
      .option('--user-id-claim <claim>', 'the claim that must equal user.id (default sub)'),
  );
  example(
    set,
    'npx signet jwt set --app "$APP" --mode required --audience my-shop',
    'npx signet jwt set --app "$APP" --mode required --issuer https://idp.example.com/ --audience my-client --discovery',
  );
  set.action(async (flags: JwtFlags) => {
    // Commander gives `true` for an untouched --no-x pair's default; only a string or false was asked for.
    const pick = <T>(value: T | boolean | undefined) =>
      value === true || value === undefined ? undefined : value === false ? null : value;
    const body = {
      mode: flags.mode,
      ...(pick(flags.audience) !== undefined && { audience: pick(flags.audience) }),
      ...(pick(flags.issuer) !== undefined && { issuer: pick(flags.issuer) }),
      ...(flags.clockTolerance !== undefined && { clockToleranceSeconds: flags.clockTolerance }),
      ...(pick(flags.maxLifetime) !== undefined && { maxTokenLifetimeSeconds: pick(flags.maxLifetime) }),
      ...(pick(flags.jwksUrl) !== undefined && { jwksUrl: pick(flags.jwksUrl) }),
      ...(flags.discovery !== undefined && { discovery: flags.discovery }),
      ...(flags.userIdClaim !== undefined && { userIdClaim: flags.userIdClaim }),
    };
    const path = `/admin/v1/apps/${encodeURIComponent(flags.app)}/jwt`;
    const settings = (await adminCall(adminTarget(flags, process.env), 'PUT', path, body)) as JwtSettings;
    if (flags.json) return printJson(settings);
    print(
      `App ${flags.app}: mode ${settings.mode}, audience ${settings.audience ?? '-'}, issuer ${settings.issuer ?? '-'}, ` +
        `clock tolerance ${settings.clockToleranceSeconds} s, max lifetime ${settings.maxTokenLifetimeSeconds === null ? '-' : `${settings.maxTokenLifetimeSeconds} s`}, ` +
        `identity provider ${settings.jwksUrl ?? (settings.discovery ? 'discovery' : '-')}, user id claim ${settings.userIdClaim}`,
    );
  });
}
