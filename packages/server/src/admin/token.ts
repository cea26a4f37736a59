import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RegistryStore } from '../store/registry-store.ts';

const SETTING = 'admin_token_sha256';

/** Checks presented admin tokens against a SHA-256 hash, in constant time. */
export class AdminTokenCheck {
  private readonly hash: Buffer;

  constructor(hashHex: string) {
    this.hash = Buffer.from(hashHex, 'hex');
  }

  static forToken(token: string): AdminTokenCheck {
    return new AdminTokenCheck(sha256(token));
  }

  matches(presented: string): boolean {
    // Hashing first makes both sides 32 bytes, so timingSafeEqual never sees unequal lengths.
    return timingSafeEqual(Buffer.from(sha256(presented), 'hex'), this.hash);
  }

  /**
   * A key bound to this admin token and `secret`: dashboard sessions are signed with it, so a
   * new admin token ends every session, and the stored secret alone cannot forge one.
   */
  deriveKey(secret: Buffer): Buffer {
    return createHmac('sha256', secret).update(this.hash).digest();
  }
}

/**
 * The admin token rule of SPEC §2: the configured token if any; otherwise the stored hash;
 * otherwise generate one, store only its hash, and return it once so it can be printed.
 */
export async function resolveAdminToken(
  store: RegistryStore,
  configured: string | null,
): Promise<{ check: AdminTokenCheck; generated: string | null }> {
  if (configured !== null) return { check: AdminTokenCheck.forToken(configured), generated: null };
  const stored = await store.getSetting(SETTING);
  if (stored !== null) return { check: new AdminTokenCheck(stored), generated: null };
  const token = `sgn_admin_${randomBytes(24).toString('base64url')}`;
  const kept = await store.putSettingIfAbsent(SETTING, sha256(token));
  // Another instance may have generated one first: then ours was never stored, so never print it.
  const generated = kept === sha256(token) ? token : null;
  return { check: new AdminTokenCheck(kept), generated };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
