import type { SigningAlgorithm } from './algorithms.ts';
import type { VerificationKey } from './key-ring.ts';
import type { VerificationSettings } from './verification-settings.ts';

/** createThisThreadCheck or createThreadPoolCheck. */
type MakeCheck<Check> = (
  key: VerificationKey,
  alg: SigningAlgorithm,
  settings: VerificationSettings,
) => Check;

/**
 * One side's signature checks (this thread, or the thread pool), made the first time a key is
 * needed for an algorithm and reused after. Found by the ring's own key object, then by
 * algorithm, so a lookup per token builds no string.
 *
 * @example
 * const checks = new ChecksPerKey(createThisThreadCheck, settings);
 * checks.for(key, 'ES256')(token, nowSeconds); // made once, then the same function
 */
export class ChecksPerKey<Check> {
  readonly #made = new Map<VerificationKey, Map<SigningAlgorithm, Check>>();
  readonly #make: MakeCheck<Check>;
  readonly #settings: VerificationSettings;

  constructor(make: MakeCheck<Check>, settings: VerificationSettings) {
    this.#make = make;
    this.#settings = settings;
  }

  for(key: VerificationKey, alg: SigningAlgorithm): Check {
    let byAlg = this.#made.get(key);
    if (!byAlg) {
      byAlg = new Map();
      this.#made.set(key, byAlg);
    }
    let check = byAlg.get(alg);
    if (check === undefined) {
      check = this.#make(key, alg, this.#settings);
      byAlg.set(alg, check);
    }
    return check;
  }
}
