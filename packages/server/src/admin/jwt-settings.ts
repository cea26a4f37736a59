import { type JwtSettings, type JwtSettingsUpdate, LIMITS } from '@signet/protocol';
import { ApiError } from '../errors.ts';
import { checkProviderUrl } from '../jwks/provider-url.ts';

/**
 * The settings a `PUT …/jwt` asks for: omitted fields keep their stored value, `null` clears
 * (or puts the default back), and the identity-provider rules of SPEC §4.1 hold. Throws the
 * ApiError to answer otherwise.
 *
 * Naming a `jwksUrl` turns discovery off, and `discovery: true` clears the `jwksUrl`, unless
 * the body gives both (then 400): switching from one to the other takes one field.
 */
export function nextJwtSettings(
  current: JwtSettings,
  body: JwtSettingsUpdate,
  allowPrivateNetwork: boolean,
): JwtSettings {
  const issuer = body.issuer === undefined ? current.issuer : body.issuer;
  if (typeof body.jwksUrl === 'string' && body.discovery === true) {
    throw invalidField('/discovery', 'Give either jwksUrl or discovery: true, not both');
  }
  let jwksUrl = body.jwksUrl === undefined ? current.jwksUrl : body.jwksUrl;
  let discovery = body.discovery ?? current.discovery;
  if (typeof body.jwksUrl === 'string' && body.discovery === undefined) discovery = false;
  if (body.discovery === true && body.jwksUrl === undefined) jwksUrl = null;

  if ((jwksUrl !== null || discovery) && issuer === null) {
    throw invalidField(
      '/issuer',
      'issuer is required with jwksUrl or discovery: tokens must name their provider',
    );
  }
  if (jwksUrl !== null) checkUrl(jwksUrl, allowPrivateNetwork, 'jwksUrl');
  if (discovery && issuer !== null) checkUrl(issuer, allowPrivateNetwork, 'issuer (used for discovery)');

  return {
    mode: body.mode,
    audience: body.audience === undefined ? current.audience : body.audience,
    issuer,
    clockToleranceSeconds: body.clockToleranceSeconds ?? current.clockToleranceSeconds,
    // null puts the default back: every app has a maximum lifetime (SPEC §4).
    maxTokenLifetimeSeconds:
      body.maxTokenLifetimeSeconds === undefined
        ? current.maxTokenLifetimeSeconds
        : (body.maxTokenLifetimeSeconds ?? LIMITS.defaultMaxTokenLifetimeSeconds),
    jwksUrl,
    discovery,
    userIdClaim: body.userIdClaim === undefined ? current.userIdClaim : (body.userIdClaim ?? 'sub'),
  };
}

function checkUrl(url: string, allowPrivateNetwork: boolean, what: string): void {
  const checked = checkProviderUrl(url, allowPrivateNetwork);
  if (!checked.ok) throw new ApiError('JWKS_URL_INVALID', checked.reason, `${what}: ${checked.message}`);
}

function invalidField(pointer: string, message: string): ApiError {
  return new ApiError('INVALID_REQUEST', 'invalid_field', message, [{ pointer, message }]);
}
