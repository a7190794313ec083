import { describe, expect, it } from 'vitest';
import { collectSecretReferences, resolveSecretReferences, type SecretResolver } from './secret-resolver.js';

/** A resolver over a fixed map, counting calls (a stand-in for any scheme). */
function mapResolver(scheme: string, values: Record<string, string>): SecretResolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    scheme,
    calls,
    async resolve(reference) {
      calls.push(reference);
      const v = values[reference];
      if (v === undefined) throw new Error(`no ${reference}`);
      return v;
    },
  };
}

describe('collectSecretReferences', () => {
  it('lists references with their config paths and schemes, ignoring URLs and literals', () => {
    const config = {
      a: 'vault:secret/x#k',
      b: { c: ['env:A', 'postgres://u@h/db', 'plain'], d: 'vault:secret/y#k || env:B' },
      e: 5,
    };
    expect(collectSecretReferences(config)).toEqual([
      { path: 'a', reference: 'vault:secret/x#k', schemes: ['vault'] },
      { path: 'b.c[0]', reference: 'env:A', schemes: ['env'] },
      { path: 'b.d', reference: 'vault:secret/y#k || env:B', schemes: ['vault', 'env'] },
    ]);
  });
});

describe('resolveSecretReferences', () => {
  it('resolves each distinct reference once and accepts custom schemes', async () => {
    const env = mapResolver('env', { A: 'one' });
    const custom = mapResolver('sops', { 'k/v': 'two' });
    const out = await resolveSecretReferences({ x: 'env:A', y: ['env:A', 'sops:k/v'] }, [env, custom]);
    expect(out).toEqual({ x: 'one', y: ['one', 'two'] });
    expect(env.calls).toEqual(['A']);
  });

  it('keeps non-plain objects and non-strings as they are', async () => {
    const date = new Date(0);
    const out = await resolveSecretReferences({ date, n: null, b: false }, []);
    expect(out.date).toBe(date);
    expect(out).toMatchObject({ n: null, b: false });
  });

  it('names a failing custom resolver reference without values', async () => {
    const custom = mapResolver('sops', {});
    await expect(resolveSecretReferences({ p: 'sops:missing' }, [custom])).rejects.toThrow(
      /1 secret reference could not be resolved:\n {2}- p: sops:missing \(no missing\)/,
    );
  });

  it('reports each failure to onFailed (path under basePath, code, every alternative) before throwing', async () => {
    const env = mapResolver('env', { B: 'value-b-secret' });
    const failed: unknown[] = [];
    const resolved: unknown[] = [];
    const attempt = resolveSecretReferences(
      { auth: { token: 'env:A', other: 'env:A || env:B', x: 'env:C' } },
      [env],
      {
        basePath: 'vault',
        onFailed: (e) => failed.push(e),
        onResolved: (e) => resolved.push(e.path),
      },
    );
    await expect(attempt).rejects.toThrow(
      /2 secret references could not be resolved:\n {2}- vault\.auth\.token: env:A/,
    );
    expect(failed).toEqual([
      {
        path: 'vault.auth.token',
        reference: 'env:A',
        failed: [{ reference: 'env:A', reason: 'no A' }],
        code: 'SECRET_UNRESOLVED',
      },
      {
        path: 'vault.auth.x',
        reference: 'env:C',
        failed: [{ reference: 'env:C', reason: 'no C' }],
        code: 'SECRET_UNRESOLVED',
      },
    ]);
    expect(resolved).toEqual(['vault.auth.other']);
    expect(JSON.stringify(failed)).not.toContain('value-b-secret');
  });
});
