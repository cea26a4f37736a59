/**
 * The one registry of error codes. The server maps every failure to one of these; the SDK
 * switches on `code`; `docs/errors.md` documents each (a test keeps the three in step).
 */

/** JWT check failures (SPEC §4). `code` is compatible with the reference SDK's `JwtError`. */
export const JWT_ERRORS = {
  TOKEN_NOT_AVAILABLE: ['missing'],
  DECRYPTION_FAILED: ['malformed'],
  HEADER_TYPE_INCOMPATIBLE: ['algorithm_not_allowed', 'typ_invalid', 'crit_unsupported'],
  INVALID_SIGNATURE: ['signature_invalid', 'key_not_found', 'no_keys_registered'],
  PAYLOAD_CONTENT_MISSING: [
    'exp_missing',
    'sub_missing',
    'claim_invalid',
    'audience_mismatch',
    'issuer_mismatch',
  ],
  TIME_CONSTRAINT_FAILURE: ['expired', 'not_yet_valid', 'issued_in_future', 'lifetime_too_long'],
  IDENTIFIER_MISMATCH: ['subject_mismatch'],
  UNKNOWN: ['unknown', 'jwks_unavailable'],
} as const;

export type JwtErrorCode = keyof typeof JWT_ERRORS;
export type JwtErrorReason = (typeof JWT_ERRORS)[JwtErrorCode][number];

/** Request and server errors: HTTP status and the reasons each code can carry. */
export const REQUEST_ERRORS = {
  INVALID_BATCH: {
    type: 'request',
    status: 400,
    reasons: ['invalid_json', 'invalid_field', 'event_too_large'],
  },
  UNSUPPORTED_MEDIA_TYPE: { type: 'request', status: 415, reasons: ['not_json'] },
  BATCH_TOO_LARGE: { type: 'request', status: 413, reasons: ['body_too_large', 'too_many_events'] },
  APP_NOT_FOUND: { type: 'request', status: 404, reasons: ['unknown_app'] },
  RATE_LIMITED: {
    type: 'request',
    status: 429,
    reasons: ['app_limit', 'client_limit', 'admin_failures'],
  },
  REQUEST_TIMEOUT: { type: 'request', status: 408, reasons: ['request_timeout'] },
  URI_TOO_LONG: { type: 'request', status: 414, reasons: ['uri_too_long'] },
  HEADERS_TOO_LARGE: { type: 'request', status: 431, reasons: ['headers_too_large'] },
  ADMIN_UNAUTHORIZED: { type: 'request', status: 401, reasons: ['missing', 'invalid'] },
  METRICS_UNAUTHORIZED: { type: 'request', status: 401, reasons: ['missing', 'invalid'] },
  CSRF_REJECTED: { type: 'request', status: 403, reasons: ['csrf_header_missing', 'origin_mismatch'] },
  INVALID_REQUEST: {
    type: 'request',
    status: 400,
    reasons: ['invalid_json', 'invalid_field', 'body_too_large', 'confirm_mismatch'],
  },
  NOT_FOUND: { type: 'request', status: 404, reasons: ['unknown_route', 'unknown_user', 'unknown_key'] },
  KEY_INVALID: {
    type: 'request',
    status: 400,
    reasons: ['private_key', 'symmetric_key', 'weak_key', 'unsupported_key', 'malformed'],
  },
  KEY_LIMIT: { type: 'request', status: 409, reasons: ['too_many_keys'] },
  KEY_EXISTS: { type: 'request', status: 409, reasons: ['duplicate_kid'] },
  LAST_KEY: { type: 'request', status: 409, reasons: ['last_key_required'] },
  NO_KEYS: { type: 'request', status: 409, reasons: ['no_keys_registered'] },
  JWKS_URL_INVALID: {
    type: 'request',
    status: 400,
    reasons: ['not_https', 'private_address', 'malformed_url'],
  },
  JWKS_NOT_CONFIGURED: { type: 'request', status: 409, reasons: ['no_provider'] },
  STORAGE_UNAVAILABLE: { type: 'server', status: 503, reasons: ['database_unavailable'] },
  INTERNAL_ERROR: { type: 'server', status: 500, reasons: ['unexpected'] },
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERRORS;
export type RequestErrorReason = (typeof REQUEST_ERRORS)[RequestErrorCode]['reasons'][number];
export type ErrorCode = JwtErrorCode | RequestErrorCode;
export type ErrorType = 'jwt' | 'request' | 'server';

/** Status of every JWT failure rejected in `required` mode. */
export const JWT_ERROR_STATUS = 401;

/** One field that failed validation, located by JSON pointer (RFC 6901). */
export interface ErrorDetail {
  pointer: string;
  message: string;
}

/** Body of every error answer. Never carries the token. */
export interface ErrorBody {
  error: {
    type: ErrorType;
    code: ErrorCode;
    reason: string;
    message: string;
    details?: ErrorDetail[];
  };
}

/**
 * The code a JWT failure reason is filed under in the registry above.
 *
 * @example
 * jwtCodeOf('expired'); // 'TIME_CONSTRAINT_FAILURE'
 */
export function jwtCodeOf(reason: JwtErrorReason): JwtErrorCode {
  for (const [code, reasons] of Object.entries(JWT_ERRORS)) {
    if ((reasons as readonly string[]).includes(reason)) return code as JwtErrorCode;
  }
  return 'UNKNOWN';
}

/** True when `reason` is one of the reasons listed for the JWT `code`. */
export function isJwtReason(code: JwtErrorCode, reason: string): reason is JwtErrorReason {
  return (JWT_ERRORS[code] as readonly string[]).includes(reason);
}
