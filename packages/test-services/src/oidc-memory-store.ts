import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * The provider's state (sessions, interactions, codes, grants) in one Map per harness, kept
 * across key rotations and apart from other harnesses in the same process. oidc-provider's own
 * memory adapter is one store per process and warns on every start.
 */
export function oidcMemoryStore(): (model: string) => Adapter {
  const entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const index = new Map<string, string>(); // sessionUid:/userCode: → id
  const byGrant = new Map<string, string[]>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) entries.delete(key);
    return entries.get(key)?.payload;
  };

  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        entries.set(key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
        if (model === 'Session' && payload.uid) index.set(`sessionUid:${payload.uid}`, id);
        if (payload.userCode) index.set(`userCode:${payload.userCode}`, id);
        if (payload.grantId) byGrant.set(payload.grantId, [...(byGrant.get(payload.grantId) ?? []), key(id)]);
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        const id = index.get(`sessionUid:${uid}`);
        return id === undefined ? undefined : live(key(id));
      },
      async findByUserCode(userCode) {
        const id = index.get(`userCode:${userCode}`);
        return id === undefined ? undefined : live(key(id));
      },
      async consume(id) {
        const payload = live(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const token of byGrant.get(grantId) ?? []) entries.delete(token);
        byGrant.delete(grantId);
      },
    };
  };
}
