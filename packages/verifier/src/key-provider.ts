import type { VerificationKey } from './key-ring.ts';

/**
 * Keys the verifier does not hold itself: an app's identity provider's JWKS (SPEC §4.1),
 * fetched by the server. The verifier never fetches anything (it has no network); it asks this
 * interface, and every key it is given is checked by the same rules as a registered key.
 *
 * Each returned array is one fetched set: the verifier reuses its imported keys for as long as
 * the same array comes back.
 */
export interface KeyProvider {
  /** The set in use, fetched first when none is cached; null when none could be had. */
  current(): Promise<readonly VerificationKey[] | null>;
  /**
   * Called when a token names a kid the set lacks: the set fetched again if the provider's
   * rate limit allows it (at most once per 30 s), otherwise the set in use; null as above.
   */
  refreshForUnknownKid(): Promise<readonly VerificationKey[] | null>;
  /** True while the set in use holds `kid`: a remembered token whose key left the set is checked again. */
  holds(kid: string): boolean;
}
