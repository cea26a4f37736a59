import type { JwtErrorCode } from '@signet/protocol';

/** What an authentication listener receives (shaped like the reference SDK's `AuthenticationError`). */
export interface AuthenticationError {
  type: 'jwt';
  data: {
    code: JwtErrorCode;
    /** The precise reason, e.g. `expired` or `subject_mismatch` (see docs/errors.md). */
    reason: string;
    message: string;
    /** The user whose token failed. */
    userIdentifier: string;
  };
}

export type AuthenticationListener = (error: AuthenticationError) => void | Promise<void>;

/** Thrown for bad arguments and options: a programming error, reported at the call. */
export class SignetError extends Error {
  override name = 'SignetError';
}
