import type { JwtSettings } from '@signet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppRegistry } from '../src/auth/app-registry.ts';
import type { Store } from '../src/store/store.ts';
import { BACKENDS } from './backends.ts';

const JWT: JwtSettings = {
  mode: 'optional',
  audience: null,
  issuer: null,
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: 2_592_000,
  jwksUrl: null,
  discovery: false,
  userIdClaim: 'sub',
};

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`app registry on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await backend.open());
      await store.migrate();
      await store.createApp({ id: 'app_1', name: 'One', jwt: JWT, createdAt: 1, updatedAt: 1 });
    });
    afterEach(() => cleanup());

    it('keeps a loaded app until its version moves, then reloads it (the missed-notification fallback)', async () => {
      const registry = new AppRegistry(store, 100);
      const first = await registry.get('app_1');
      expect(await registry.get('app_1')).toBe(first);

      // A change the registry was not told about, as from another instance whose notice was lost.
      await store.updateJwtSettings('app_1', { ...JWT, mode: 'disabled' }, 2);
      expect((await registry.get('app_1'))?.app.jwt.mode).toBe('optional');
      await registry.checkVersions();
      const reloaded = await registry.get('app_1');
      expect(reloaded).not.toBe(first);
      expect(reloaded?.app.jwt.mode).toBe('disabled');
    });

    it('does not remember unknown apps, so one created later is found', async () => {
      const registry = new AppRegistry(store, 100);
      expect(await registry.get('app_2')).toBeNull();
      await store.createApp({ id: 'app_2', name: 'Two', jwt: JWT, createdAt: 3, updatedAt: 3 });
      expect((await registry.get('app_2'))?.app.name).toBe('Two');
    });
  });
}
