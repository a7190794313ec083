import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VaultFake } from './vault-fake.js';

let vault: VaultFake;
beforeEach(async () => {
  vault = await VaultFake.start();
});
afterEach(async () => {
  await vault.close();
});

async function call(
  path: string,
  init: { method?: string; token?: string; namespace?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (init.token) headers['x-vault-token'] = init.token;
  if (init.namespace) headers['x-vault-namespace'] = init.namespace;
  const res = await fetch(`${vault.address}/v1/${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('VaultFake (a fake of the documented Vault HTTP API)', () => {
  it('reports the documented sys/health status codes per state', async () => {
    const expected = {
      active: 200,
      standby: 429,
      'performance-standby': 473,
      sealed: 503,
      uninitialized: 501,
    };
    for (const [state, status] of Object.entries(expected)) {
      vault.setState(state as keyof typeof expected);
      const res = await call('sys/health');
      expect(res.status, state).toBe(status);
      expect(res.json.sealed).toBe(state === 'sealed' || state === 'uninitialized');
    }
    vault.setState('standby');
    expect((await call('sys/health?standbyok=true')).status).toBe(200);
  });

  it('serves KV v2 versions and 404s for missing paths and deleted versions', async () => {
    vault.putSecret('secret', 'cdc/source', { password: 'one' });
    vault.putSecret('secret', 'cdc/source', { password: 'two' });
    const latest = await call('secret/data/cdc/source', { token: vault.rootToken });
    expect(latest.status).toBe(200);
    expect(latest.json.data).toMatchObject({ data: { password: 'two' }, metadata: { version: 2 } });
    const v1 = await call('secret/data/cdc/source?version=1', { token: vault.rootToken });
    expect(v1.json.data).toMatchObject({ data: { password: 'one' }, metadata: { version: 1 } });
    vault.deleteSecretVersion('secret', 'cdc/source', 1);
    expect((await call('secret/data/cdc/source?version=1', { token: vault.rootToken })).status).toBe(404);
    expect((await call('secret/data/nope', { token: vault.rootToken })).status).toBe(404);
    expect((await call('secret/data/cdc/source')).status).toBe(403);
  });

  it('keeps secrets per namespace', async () => {
    vault.putSecret('secret', 'a', { k: 'root' });
    vault.putSecret('secret', 'a', { k: 'team' }, 'team');
    const res = await call('secret/data/a', { token: vault.rootToken, namespace: 'team' });
    expect(res.json.data).toMatchObject({ data: { k: 'team' } });
  });

  it('logs in with AppRole and Kubernetes, and rejects bad credentials', async () => {
    vault.addAppRole({ roleId: 'role', secretId: 'sid', token: { ttlSeconds: 60 } });
    const ok = await call('auth/approle/login', {
      method: 'POST',
      body: { role_id: 'role', secret_id: 'sid' },
    });
    expect(ok.status).toBe(200);
    const auth = ok.json.auth as { client_token: string; lease_duration: number; renewable: boolean };
    expect(auth.lease_duration).toBe(60);
    const bad = await call('auth/approle/login', {
      method: 'POST',
      body: { role_id: 'role', secret_id: 'x' },
    });
    expect(bad.status).toBe(400);

    vault.addKubernetesRole({ role: 'cdc', jwt: 'jwt-1' });
    const k8s = await call('auth/kubernetes/login', { method: 'POST', body: { role: 'cdc', jwt: 'jwt-1' } });
    expect(k8s.status).toBe(200);
    const wrong = await call('auth/kubernetes/login', {
      method: 'POST',
      body: { role: 'cdc', jwt: 'jwt-2' },
    });
    expect(wrong.status).toBe(403);
  });

  it('looks up and renews tokens, expiring them on its own clock', async () => {
    const token = vault.issueToken({ ttlSeconds: 60, maxTtlSeconds: 120 });
    const lookup = await call('auth/token/lookup-self', { token });
    expect((lookup.json.data as { ttl: number }).ttl).toBe(60);
    vault.advanceClock(50_000);
    const renewed = await call('auth/token/renew-self', { method: 'POST', token, body: { increment: '1h' } });
    // capped by the max TTL: 120 s from issue, 50 s elapsed
    expect((renewed.json.auth as { lease_duration: number }).lease_duration).toBe(70);
    vault.advanceClock(71_000);
    expect((await call('auth/token/lookup-self', { token })).status).toBe(403);
    const fixed = vault.issueToken({ renewable: false });
    expect((await call('auth/token/renew-self', { method: 'POST', token: fixed })).status).toBe(400);
  });

  it('injects failures a given number of times and records requests', async () => {
    vault.putSecret('secret', 'x', { a: 1 });
    vault.failNext({ path: 'secret/data/x', status: 429, times: 2, errors: ['rate limited'] });
    expect((await call('secret/data/x', { token: vault.rootToken })).status).toBe(429);
    expect((await call('secret/data/x', { token: vault.rootToken })).json).toEqual({
      errors: ['rate limited'],
    });
    expect((await call('secret/data/x', { token: vault.rootToken })).status).toBe(200);
    expect(vault.requestsTo('secret/data/x')).toHaveLength(3);
    vault.setState('sealed');
    expect((await call('secret/data/x', { token: vault.rootToken })).status).toBe(503);
  });
});
