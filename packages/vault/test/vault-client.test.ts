/**
 * VaultClient against VaultFake (a fake of Vault's documented HTTP API, from @cdc/testkit): every auth
 * method, every failure path, caching, renewal, health and TLS, and that no secret leaks into errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VaultFake } from '@cdc/testkit';
import { freePort } from '@cdc/testkit';
import {
  VaultClient,
  isVaultUsable,
  vaultReadinessCheck,
  type VaultAuth,
  type VaultClientOptions,
  type VaultHealth,
} from '../src/index.js';

const SECRET_VALUE = 'pa55-w0rd-VALUE-never-shown';
const ROLE_ID = 'role-id-1234';
const SECRET_ID = 'secret-id-SHOULD-NOT-LEAK';
const JWT = 'eyJhbGciOi.JWT-SHOULD-NOT-LEAK.sig';

let vault: VaultFake;
let warnings: string[];
const clients: VaultClient[] = [];

beforeEach(async () => {
  vault = await VaultFake.start();
  warnings = [];
  vault.putSecret('secret', 'cdc/source', { password: 'old-value', user: 'cdc' });
  vault.putSecret('secret', 'cdc/source', { password: SECRET_VALUE, user: 'cdc', port: 1433 });
  vault.addAppRole({ roleId: ROLE_ID, secretId: SECRET_ID, token: { ttlSeconds: 60 } });
  vault.addKubernetesRole({ role: 'cdc', jwt: JWT, token: { ttlSeconds: 60 } });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await vault.close();
});

function client(auth: VaultAuth, extra: Partial<VaultClientOptions> = {}): VaultClient {
  const c = new VaultClient({
    address: vault.address,
    auth,
    retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
    warn: (m) => warnings.push(m),
    now: () => vault.now(),
    ...extra,
  });
  clients.push(c);
  return c;
}

const approle: VaultAuth = { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID };

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { code: string; hint?: string; transient: boolean }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; hint?: string; transient: boolean };
  }
  throw new Error('expected a failure');
}

describe('VaultClient: KV v2 reads', () => {
  it('reads the latest and a given version with the token and namespace headers', async () => {
    vault.putSecret('secret', 'cdc/source', { password: 'team-value' }, 'team-a');
    const c = client({ method: 'token', token: vault.rootToken });
    expect(await c.readKvField('secret', 'cdc/source', 'password')).toBe(SECRET_VALUE);
    expect(await c.readKvField('secret', 'cdc/source', 'password', { version: 1 })).toBe('old-value');
    expect(await c.readKvField('secret', 'cdc/source', 'port')).toBe('1433');
    const kv = await c.readKv('secret', 'cdc/source');
    expect(kv.version).toBe(2);
    const reads = vault.requestsTo(/^secret\/data\//);
    expect(reads.map((r) => [r.path, r.query.version])).toEqual([
      ['secret/data/cdc/source', undefined],
      ['secret/data/cdc/source', '1'],
    ]);
    expect(reads.every((r) => r.token === vault.rootToken)).toBe(true);

    const ns = client({ method: 'token', token: vault.rootToken }, { namespace: 'team-a' });
    expect(await ns.readKvField('secret', 'cdc/source', 'password')).toBe('team-value');
    expect(vault.requests.at(-1)?.namespace).toBe('team-a');
  });

  it('validates paths before sending any request', async () => {
    const c = client({ method: 'token', token: vault.rootToken });
    for (const [mount, path] of [
      ['secret', '../sys/seal'],
      ['secret', '/etc/passwd'],
      ['secret', 'https://evil.example/x'],
      ['../sys', 'x'],
      ['secret', 'a?version=1'],
    ] as const) {
      expect((await failure(c.readKv(mount, path))).code).toBe('INVALID_ARGUMENT');
    }
    expect(vault.requests).toHaveLength(0);
  });

  it('maps a missing secret, a deleted version and a missing key to SECRET_UNRESOLVED', async () => {
    const c = client({ method: 'token', token: vault.rootToken });
    const missing = await failure(c.readKv('secret', 'cdc/nothing'));
    expect(missing.code).toBe('SECRET_UNRESOLVED');
    expect(missing.message).toContain('secret/cdc/nothing');
    vault.deleteSecretVersion('secret', 'cdc/source', 1);
    const deleted = await failure(c.readKv('secret', 'cdc/source', { version: 1 }));
    expect(deleted.message).toContain('deleted or destroyed');
    const noKey = await failure(c.readKvField('secret', 'cdc/source', 'token'));
    expect(noKey.code).toBe('SECRET_UNRESOLVED');
    expect(noKey.hint).toContain('password, user, port');
    expect(`${noKey.message} ${noKey.hint}`).not.toContain(SECRET_VALUE);
  });

  it('maps 403 to PERMISSION_DENIED and 400 to INVALID_ARGUMENT', async () => {
    const limited = vault.issueToken({ readPrefixes: ['secret/other/'] });
    const c = client({ method: 'token', token: limited });
    const denied = await failure(c.readKv('secret', 'cdc/source'));
    expect(denied.code).toBe('PERMISSION_DENIED');
    expect(denied.message).toContain('HTTP 403');
    vault.failNext({ path: 'secret/data/cdc/source', status: 400, errors: ['bad request'] });
    const root = client({ method: 'token', token: vault.rootToken });
    const bad = await failure(root.readKv('secret', 'cdc/source'));
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect(bad.message).toContain('bad request');
  });

  it('caches reads for the configured TTL and honours cacheTtlMs: 0', async () => {
    const c = client({ method: 'token', token: vault.rootToken }, { cacheTtlMs: 10_000 });
    await c.readKv('secret', 'cdc/source');
    await c.readKv('secret', 'cdc/source');
    expect(vault.requestsTo('secret/data/cdc/source')).toHaveLength(1);
    vault.advanceClock(10_001);
    await c.readKv('secret', 'cdc/source');
    expect(vault.requestsTo('secret/data/cdc/source')).toHaveLength(2);
    c.clearCache();
    await c.readKv('secret', 'cdc/source');
    expect(vault.requestsTo('secret/data/cdc/source')).toHaveLength(3);

    const uncached = client({ method: 'token', token: vault.rootToken }, { cacheTtlMs: 0 });
    await uncached.readKv('secret', 'cdc/source');
    await uncached.readKv('secret', 'cdc/source');
    expect(vault.requestsTo('secret/data/cdc/source')).toHaveLength(5);
  });
});

describe('VaultClient: resilience', () => {
  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    vault.failNext({ path: 'secret/data/cdc/source', status: 429 });
    vault.failNext({ path: 'secret/data/cdc/source', status: 503 });
    const c = client({ method: 'token', token: vault.rootToken });
    expect(await c.readKvField('secret', 'cdc/source', 'user')).toBe('cdc');
    expect(vault.requestsTo('secret/data/cdc/source')).toHaveLength(3);
  });

  it('gives up after the retries with a transient UPSTREAM_ERROR', async () => {
    vault.failNext({ path: 'secret/data/cdc/source', status: 503, times: 10, errors: ['Vault is sealed'] });
    const c = client({ method: 'token', token: vault.rootToken });
    const error = await failure(c.readKv('secret', 'cdc/source'));
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(error.transient).toBe(true);
    expect(vault.requestsTo('secret/data/cdc/source')).toHaveLength(3); // 1 + 2 retries
  });

  it('does not retry 4xx answers', async () => {
    vault.failNext({ path: 'secret/data/cdc/source', status: 404, times: 5 });
    const c = client({ method: 'token', token: vault.rootToken });
    expect((await failure(c.readKv('secret', 'cdc/source'))).code).toBe('SECRET_UNRESOLVED');
    expect(vault.requestsTo('secret/data/cdc/source')).toHaveLength(1);
  });

  it('opens the circuit breaker after consecutive failures, stops calling Vault, then recovers', async () => {
    vault.failNext({ path: /^secret\/data\//, status: 500, times: 2 });
    const c = client(
      { method: 'token', token: vault.rootToken },
      { retry: { maxAttempts: 0 }, circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 50 } },
    );
    await failure(c.readKv('secret', 'a'));
    await failure(c.readKv('secret', 'b'));
    const before = vault.requestsTo(/^secret\/data\//).length;
    const open = await failure(c.readKv('secret', 'cdc/source'));
    expect(open.message).toContain('circuit breaker open after 2 consecutive Vault failures');
    expect(open.transient).toBe(true);
    expect(vault.requestsTo(/^secret\/data\//)).toHaveLength(before);
    // half-open after 50 ms: the next call goes through and closes the breaker
    await vi.waitFor(async () => expect(await c.readKvField('secret', 'cdc/source', 'user')).toBe('cdc'), {
      timeout: 2000,
      interval: 25,
    });
  });

  it('times out slow answers with TIMEOUT', async () => {
    vault.failNext({ path: 'secret/data/cdc/source', status: 500, delayMs: 400 });
    const c = client(
      { method: 'token', token: vault.rootToken },
      { timeoutMs: 50, retry: { maxAttempts: 0 } },
    );
    const error = await failure(c.readKv('secret', 'cdc/source'));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('50 ms');
  });

  it('reports a connection failure as transient CONNECTION_FAILED', async () => {
    const port = await freePort();
    const c = new VaultClient({
      address: `http://127.0.0.1:${port}`,
      auth: { method: 'token', token: 'x-token-value' },
      retry: { maxAttempts: 0 },
    });
    clients.push(c);
    const error = await failure(c.readKv('secret', 'cdc/source'));
    expect(error.code).toBe('CONNECTION_FAILED');
    expect(error.transient).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('VaultClient: authentication', () => {
  it('token: checks the token with lookup-self and reports its TTL, never the token', async () => {
    const token = vault.issueToken({ ttlSeconds: 600, policies: ['cdc-read'] });
    const c = client({ method: 'token', token });
    const info = await c.lookupSelf();
    expect(info).toMatchObject({ ttlSeconds: 600, renewable: true, policies: ['cdc-read'] });
    expect(JSON.stringify(info)).not.toContain(token);
  });

  it('token: a rejected token is AUTH_FAILED', async () => {
    const c = client({ method: 'token', token: 'hvs.not-a-real-token' });
    const error = await failure(c.readKv('secret', 'cdc/source'));
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).not.toContain('hvs.not-a-real-token');
  });

  it('approle: logs in once with role_id/secret_id and uses the issued token', async () => {
    const c = client(approle);
    expect(await c.readKvField('secret', 'cdc/source', 'password')).toBe(SECRET_VALUE);
    await c.readKv('secret', 'cdc/source', { version: 1 });
    const logins = vault.requestsTo('auth/approle/login');
    expect(logins).toHaveLength(1);
    expect(logins[0]?.body).toEqual({ role_id: ROLE_ID, secret_id: SECRET_ID });
    expect(logins[0]?.token).toBeUndefined();
    const read = vault.requestsTo('secret/data/cdc/source')[0];
    expect(read?.token).toMatch(/^hvs\./);
  });

  it('approle: wrong secret id and unknown role are AUTH_FAILED', async () => {
    const wrong = await failure(client({ ...approle, secretId: 'nope-nope' }).readKv('secret', 'cdc/source'));
    expect(wrong.code).toBe('AUTH_FAILED');
    expect(wrong.message).toContain('invalid secret id');
    const unknown = await failure(client({ ...approle, roleId: 'ghost' }).login());
    expect(unknown.code).toBe('AUTH_FAILED');
  });

  it('approle: a custom auth mount is used', async () => {
    const c = client({ ...approle, mount: 'approle-cdc' });
    await c.login();
    expect(vault.requestsTo('auth/approle-cdc/login')).toHaveLength(1);
  });

  it('approle: a revoked token is replaced by logging in again', async () => {
    const c = client(approle);
    await c.readKv('secret', 'cdc/source', { version: 1 });
    const first = vault.requestsTo('secret/data/cdc/source')[0]?.token ?? '';
    vault.revokeToken(first);
    expect(await c.readKvField('secret', 'cdc/source', 'password')).toBe(SECRET_VALUE);
    expect(vault.requestsTo('auth/approle/login')).toHaveLength(2);
  });

  it('kubernetes: logs in with role and jwt, or reads the jwt file at login', async () => {
    const c = client({ method: 'kubernetes', role: 'cdc', jwt: JWT });
    expect(await c.readKvField('secret', 'cdc/source', 'user')).toBe('cdc');
    expect(vault.requestsTo('auth/kubernetes/login')[0]?.body).toEqual({ role: 'cdc', jwt: JWT });

    const dir = await mkdtemp(join(tmpdir(), 'cdc-vault-'));
    try {
      const jwtFile = join(dir, 'token');
      await writeFile(jwtFile, `${JWT}\n`);
      const fromFile = client({ method: 'kubernetes', role: 'cdc', jwtFile });
      await fromFile.login();
      expect(vault.requestsTo('auth/kubernetes/login')[1]?.body).toEqual({ role: 'cdc', jwt: JWT });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kubernetes: a wrong jwt or a missing jwt file is AUTH_FAILED', async () => {
    const wrong = await failure(
      client({ method: 'kubernetes', role: 'cdc', jwt: 'other.jwt.value' }).login(),
    );
    expect(wrong.code).toBe('AUTH_FAILED');
    const missing = await failure(
      client({ method: 'kubernetes', role: 'cdc', jwtFile: '/nonexistent/token' }).login(),
    );
    expect(missing.code).toBe('AUTH_FAILED');
    expect(missing.message).toContain('/nonexistent/token');
    expect(missing.message).toContain('ENOENT');
  });

  it('renews the token with renew-self when a third of its TTL remains', async () => {
    const c = client(approle);
    await c.readKv('secret', 'cdc/source', { version: 1 });
    vault.advanceClock(30_000); // 30 s of 60 left: no renewal yet
    await c.readKv('secret', 'cdc/source', { version: 2 });
    expect(vault.requestsTo('auth/token/renew-self')).toHaveLength(0);
    vault.advanceClock(21_000); // 9 s left
    c.clearCache();
    await c.readKv('secret', 'cdc/source');
    expect(vault.requestsTo('auth/token/renew-self')).toHaveLength(1);
    expect(vault.requestsTo('auth/approle/login')).toHaveLength(1);
    // the renewed token is valid well past the original expiry
    vault.advanceClock(30_000);
    c.clearCache();
    expect(await c.readKvField('secret', 'cdc/source', 'user')).toBe('cdc');
    expect(vault.requestsTo('auth/approle/login')).toHaveLength(1);
  });

  it('startTokenRenewal renews in the background before expiry, without a request', async () => {
    const c = client(approle);
    await c.login();
    vault.advanceClock(45_000); // 15 s of 60 left: inside the renewal window
    c.startTokenRenewal(); // the timer waits at least 1 s
    await vi.waitFor(() => expect(vault.requestsTo('auth/token/renew-self')).toHaveLength(1), {
      timeout: 5000,
    });
    expect(vault.requestsTo(/^secret\//)).toHaveLength(0);
  });

  it('logs in again when the token is not renewable', async () => {
    vault.addAppRole({
      roleId: 'fixed',
      secretId: 'fixed-secret',
      token: { ttlSeconds: 60, renewable: false },
    });
    const c = client({ method: 'approle', roleId: 'fixed', secretId: 'fixed-secret' });
    await c.login();
    vault.advanceClock(50_000);
    await c.readKv('secret', 'cdc/source');
    expect(vault.requestsTo('auth/token/renew-self')).toHaveLength(0);
    expect(vault.requestsTo('auth/approle/login')).toHaveLength(2);
  });

  it('renewSelf renews explicitly; an expired non-renewable static token is AUTH_FAILED', async () => {
    const renewable = client({ method: 'token', token: vault.issueToken({ ttlSeconds: 100 }) });
    const renewed = await renewable.renewSelf(500);
    expect(renewed.ttlSeconds).toBe(500);
    expect(vault.requestsTo('auth/token/renew-self')[0]?.body).toEqual({ increment: '500s' });

    const fixed = client({ method: 'token', token: vault.issueToken({ ttlSeconds: 60, renewable: false }) });
    await fixed.login();
    vault.advanceClock(61_000);
    const error = await failure(fixed.readKv('secret', 'cdc/source'));
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toContain('expired');
  });
});

describe('VaultClient: health', () => {
  it('maps the documented sys/health codes to a structured status', async () => {
    const c = client({ method: 'token', token: vault.rootToken }, { namespace: 'team-a' });
    const cases = [
      ['active', 'ok'],
      ['standby', 'standby'],
      ['performance-standby', 'standby'],
      ['sealed', 'sealed'],
      ['uninitialized', 'sealed'],
    ] as const;
    for (const [state, status] of cases) {
      vault.setState(state);
      const health = await c.health();
      expect(health.status, state).toBe(status);
      expect(health.version).toBe('1.17.0-fake');
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
      if (status === 'ok') expect(health.error).toBeUndefined();
      else expect(health.error).toBeTruthy();
    }
    const healthRequests = vault.requestsTo('sys/health');
    expect(healthRequests.every((r) => r.namespace === undefined && r.token === undefined)).toBe(true);
  });

  it('reports unreachable with the reason instead of throwing', async () => {
    const port = await freePort();
    const c = new VaultClient({ address: `http://127.0.0.1:${port}`, auth: { method: 'token', token: 't' } });
    clients.push(c);
    const health = await c.health();
    expect(health).toMatchObject({ status: 'unreachable', version: undefined });
    expect(health.error).toContain('ECONNREFUSED');
  });

  it('reports unreachable when Vault does not answer in time', async () => {
    vault.failNext({ path: 'sys/health', status: 500, delayMs: 400 });
    const c = client({ method: 'token', token: vault.rootToken }, { timeoutMs: 50 });
    const health = await c.health();
    expect(health.status).toBe('unreachable');
    expect(health.error).toContain('50 ms');
  });
});

describe('vaultReadinessCheck', () => {
  it('is ready for active and standby Vault, not for sealed or unreachable, and reports each result', async () => {
    const seen: VaultHealth[] = [];
    const check = vaultReadinessCheck(client({ method: 'token', token: vault.rootToken }), {
      onHealth: (h) => seen.push(h),
    });
    expect(check.name).toBe('vault');
    expect(await check.check()).toMatchObject({
      ok: true,
      detail: expect.stringContaining('ok, v1.17.0-fake'),
    });
    vault.setState('standby');
    expect((await check.check()).ok).toBe(true);
    vault.setState('sealed');
    const sealed = await check.check();
    expect(sealed).toMatchObject({ ok: false, detail: expect.stringContaining('Vault is sealed') });
    expect(seen.map((h) => [h.status, isVaultUsable(h)])).toEqual([
      ['ok', true],
      ['standby', true],
      ['sealed', false],
    ]);
  });
});

describe('VaultClient: TLS and address', () => {
  const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
  const tls = {
    key: readFileSync(join(fixtures, 'vault-fake-key.pem')),
    cert: readFileSync(join(fixtures, 'vault-fake-cert.pem')),
  };

  it('verifies Vault against the CA file, fails without it, and warns loudly when verification is off', async () => {
    const https = await VaultFake.start({ tls });
    try {
      https.putSecret('secret', 'x', { k: 'v' });
      const auth: VaultAuth = { method: 'token', token: https.rootToken };
      const base = {
        address: https.address,
        auth,
        retry: { maxAttempts: 0 },
        warn: (m: string) => warnings.push(m),
      };
      const trusted = new VaultClient({ ...base, tls: { caFile: join(fixtures, 'vault-fake-cert.pem') } });
      clients.push(trusted);
      expect(await trusted.readKvField('secret', 'x', 'k')).toBe('v');
      expect(warnings).toHaveLength(0);

      const untrusted = new VaultClient(base);
      clients.push(untrusted);
      const error = await failure(untrusted.readKv('secret', 'x'));
      expect(error.code).toBe('CONNECTION_FAILED');
      expect(error.message).toMatch(/certificate/i);

      const insecure = new VaultClient({ ...base, tls: { skipVerify: true } });
      clients.push(insecure);
      expect(await insecure.readKvField('secret', 'x', 'k')).toBe('v');
      expect(warnings.join('\n')).toMatch(/skipVerify.*NOT verified/s);
    } finally {
      await https.close();
    }
  });

  it('rejects an unreadable CA file and bad addresses at construction', () => {
    const auth: VaultAuth = { method: 'token', token: 't' };
    expect(
      () => new VaultClient({ address: vault.address, auth, tls: { caFile: '/nonexistent/ca.pem' } }),
    ).toThrow(/caFile \/nonexistent\/ca\.pem \(ENOENT\)/);
    expect(() => new VaultClient({ address: 'not a url', auth })).toThrow('not a URL');
    expect(() => new VaultClient({ address: 'ftp://vault', auth })).toThrow('http(s)');
    expect(() => new VaultClient({ address: 'https://u:hunter2@vault', auth })).toThrow(
      /must not contain credentials/,
    );
    try {
      new VaultClient({ address: 'https://u:hunter2@vault', auth });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('warns about plain HTTP to a non-loopback address', () => {
    clients.push(
      new VaultClient({
        address: 'http://vault.example:8200',
        auth: { method: 'token', token: 't' },
        warn: (m) => warnings.push(m),
      }),
    );
    expect(warnings.join()).toContain('plain HTTP');
  });
});

describe('VaultClient: secrets never leak', () => {
  it('keeps tokens, secret ids, jwts and secret values out of every error and of inspect()', async () => {
    const errors: unknown[] = [];
    const capture = async (p: Promise<unknown>): Promise<void> => {
      errors.push(await failure(p));
    };
    // Vault echoing the submitted credentials in its error text must not carry them through.
    vault.failNext({
      path: 'auth/approle/login',
      status: 400,
      errors: [`invalid secret id ${SECRET_ID} for ${ROLE_ID}`],
    });
    await capture(client(approle).login());
    vault.failNext({ path: 'auth/kubernetes/login', status: 403, errors: [`jwt ${JWT} rejected`] });
    await capture(client({ method: 'kubernetes', role: 'cdc', jwt: JWT }).login());
    const c = client(approle, { retry: { maxAttempts: 0 } });
    await capture(c.readKvField('secret', 'cdc/source', 'missing'));
    vault.failNext({ path: 'secret/data/cdc/source', status: 503, times: 5 });
    c.clearCache();
    await capture(c.readKv('secret', 'cdc/source', { version: 2 }));
    await capture(
      client({ method: 'token', token: 'hvs.STATIC-TOKEN-SECRET' }).readKv('secret', 'cdc/source'),
    );

    const forbidden = [SECRET_VALUE, SECRET_ID, JWT, 'hvs.STATIC-TOKEN-SECRET', ...tokensIssued()];
    for (const error of errors) {
      const e = error as Error & { hint?: string; cause?: unknown };
      const text = [
        e.message,
        e.hint,
        e.stack,
        String(e.cause),
        JSON.stringify(e),
        inspect(e, { depth: 5 }),
      ].join('\n');
      for (const secret of forbidden) expect(text).not.toContain(secret);
    }
    expect(inspect(c, { depth: 5, showHidden: true })).not.toContain(SECRET_ID);
  });
});

function tokensIssued(): string[] {
  return vault.requests
    .map((r) => r.token)
    .filter((t): t is string => typeof t === 'string' && t.startsWith('hvs.'));
}
