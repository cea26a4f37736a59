import type { JwtErrorReason } from '@signet/protocol';
import { errors } from 'jose';

/** A jose failure translated into Signet's vocabulary. */
export interface TranslatedError {
  reason: JwtErrorReason;
  message: string;
}

/**
 * Translates what `jwtVerify` throws into a Signet reason. jose checks the signature before it
 * reads a single claim, so every claim reason here comes from a token that was properly signed.
 * Anything jose is not expected to throw becomes `unknown`.
 *
 * @example
 * translateJoseError(new errors.JWTExpired('…', {}, 'exp')); // { reason: 'expired', … }
 */
export function translateJoseError(error: unknown): TranslatedError {
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return { reason: 'signature_invalid', message: 'The signature does not match the registered key' };
  }
  if (error instanceof errors.JWTExpired) {
    return { reason: 'expired', message: 'The token has expired ("exp" is in the past)' };
  }
  if (error instanceof errors.JWTClaimValidationFailed) return fromClaimFailure(error);
  if (error instanceof errors.JWTInvalid) {
    // jose's only JWTInvalid after a valid signature: the payload is not a JSON object.
    return { reason: 'claim_invalid', message: 'The token payload is not a JSON object' };
  }
  if (error instanceof errors.JWSInvalid) {
    return { reason: 'malformed', message: 'The token is not a valid JWS' };
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return { reason: 'algorithm_not_allowed', message: 'The token\'s "alg" is not allowed for this key' };
  }
  return { reason: 'unknown', message: 'The token could not be verified' };
}

function fromClaimFailure(error: InstanceType<typeof errors.JWTClaimValidationFailed>): TranslatedError {
  const { claim, reason } = error;
  if (claim === 'aud') {
    return { reason: 'audience_mismatch', message: 'The token\'s "aud" does not name this app' };
  }
  if (claim === 'iss') {
    return { reason: 'issuer_mismatch', message: 'The token\'s "iss" is not the configured issuer' };
  }
  if (reason === 'missing' && claim === 'exp') {
    return { reason: 'exp_missing', message: 'The token has no "exp" claim; it must expire' };
  }
  if (reason === 'missing' && claim === 'sub') {
    return { reason: 'sub_missing', message: 'The token has no "sub" claim naming the user' };
  }
  if (reason === 'check_failed' && claim === 'nbf') {
    return { reason: 'not_yet_valid', message: 'The token is not valid yet ("nbf" is in the future)' };
  }
  if (reason === 'invalid') {
    return { reason: 'claim_invalid', message: `The "${claim}" claim must be a number` };
  }
  return { reason: 'claim_invalid', message: `The "${claim}" claim is invalid` };
}
