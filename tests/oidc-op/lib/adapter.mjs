// An in-memory storage adapter for oidc-provider, one store per issuer.
//
// Why not the package's built-in memory adapter: it keeps one module-wide
// store, so the citizen and the staff issuer (two Provider instances in one
// process) would share sessions, and a store that outlives a Provider is what
// lets key rotation rebuild the Provider without signing everybody out. The
// interface is oidc-provider's adapter contract (upsert, find, findByUid,
// findByUserCode, consume, destroy, revokeByGrantId).

export function createStore() {
  return new Map(); // key "Model:id" -> { payload, expiresAt }
}

export function adapterFor(store) {
  return class MemoryAdapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
      store.set(this.key(id), { payload: structuredClone(payload), expiresAt });
      if (payload.grantId) {
        const gk = `Grant-members:${payload.grantId}`;
        const members = store.get(gk)?.payload ?? [];
        members.push(this.key(id));
        store.set(gk, { payload: members, expiresAt: Infinity });
      }
      if (payload.uid) store.set(`${this.model}-uid:${payload.uid}`, { payload: id, expiresAt });
      if (payload.userCode) store.set(`${this.model}-uc:${payload.userCode}`, { payload: id, expiresAt });
    }

    get(key) {
      const e = store.get(key);
      if (!e) return undefined;
      if (e.expiresAt <= Date.now()) {
        store.delete(key);
        return undefined;
      }
      return e.payload;
    }

    async find(id) {
      const p = this.get(this.key(id));
      return p ? structuredClone(p) : undefined;
    }

    async findByUid(uid) {
      const id = this.get(`${this.model}-uid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode) {
      const id = this.get(`${this.model}-uc:${userCode}`);
      return id ? this.find(id) : undefined;
    }

    async consume(id) {
      const e = store.get(this.key(id));
      if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      const gk = `Grant-members:${grantId}`;
      for (const k of store.get(gk)?.payload ?? []) store.delete(k);
      store.delete(gk);
    }
  };
}

/** Live sessions of an issuer's store: [{ id, payload }] (for the control endpoints). */
export function sessionsIn(store) {
  const out = [];
  for (const [k, e] of store) {
    if (k.startsWith('Session:') && e.expiresAt > Date.now()) out.push({ id: k.slice(8), payload: e.payload });
  }
  return out;
}
