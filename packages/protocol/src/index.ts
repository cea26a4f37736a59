export type {
  AppInfo,
  AppUpdate,
  AuditAction,
  AuditEntry,
  AuthFailure,
  AuthOutcome,
  AuthStatsRow,
  JwksFetchErrorKind,
  JwksKeyInfo,
  JwksStatus,
  JwtMode,
  JwtSettings,
  JwtSettingsUpdate,
  KeyCreate,
  KeyInfo,
  StoredEvent,
  UserProfile,
} from './admin.ts';
export { JWT_MODES } from './admin.ts';
export type {
  AliasEvent,
  AttributesEvent,
  Batch,
  BatchEvent,
  BatchResponse,
  BatchUser,
  EventContext,
  EventType,
  PageEvent,
  SdkInfo,
  TrackEvent,
} from './batch.ts';
export { batchSchema } from './batch-schema.ts';
export type { ClaimRules, ClaimsVerdict } from './claims.ts';
export { checkClaims } from './claims.ts';
export type {
  ErrorBody,
  ErrorCode,
  ErrorDetail,
  ErrorType,
  JwtErrorCode,
  JwtErrorReason,
  RequestErrorCode,
  RequestErrorReason,
} from './errors.ts';
export { isJwtReason, JWT_ERROR_STATUS, JWT_ERRORS, jwtCodeOf, REQUEST_ERRORS } from './errors.ts';
export type { JsonObject, JsonValue } from './json.ts';
export { LIMITS } from './limits.ts';
export { nestingDepth } from './nesting-depth.ts';
