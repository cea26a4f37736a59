import {
  type ErrorBody,
  type ErrorDetail,
  type JwtErrorCode,
  REQUEST_ERRORS,
  type RequestErrorCode,
} from '@signet/protocol';

/** The reasons the registry lists for `code`: a reason filed under another code does not compile. */
export type ReasonOf<C extends RequestErrorCode> = (typeof REQUEST_ERRORS)[C]['reasons'][number];

/**
 * A request or server error with its registry code. The status comes from the registry,
 * so one table (packages/protocol) decides every status the server answers.
 */
export class ApiError<C extends RequestErrorCode = RequestErrorCode> extends Error {
  readonly status: number;
  constructor(
    readonly code: C,
    readonly reason: ReasonOf<C>,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = REQUEST_ERRORS[code].status;
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = {
      type: REQUEST_ERRORS[this.code].type,
      code: this.code,
      reason: this.reason,
      message: this.message,
    };
    if (this.details) error.details = this.details;
    return { error };
  }
}

/** 404 for an app id nobody created. */
export function appNotFound(): ApiError {
  return new ApiError('APP_NOT_FOUND', 'unknown_app', 'No app has this id');
}

/** The 401 body of a JWT failure in `required` mode. Carries code and reason, never the token. */
export function jwtErrorBody(code: JwtErrorCode, reason: string, message: string): ErrorBody {
  return { error: { type: 'jwt', code, reason, message } };
}
