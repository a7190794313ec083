/**
 * Secret references resolved through the real resolvers: vault: against VaultFake (a fake of Vault's
 * documented HTTP API), env: from a given environment, file: from temporary files.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSecretResolvers, resolveSecret } from '@cdc/core';
import { VaultFake } from '@cdc/testkit';
import {
  VaultClient,
  createVaultClient,
  envSecretResolver,
  fileSecretResolver,
  resolveSecretReferences,
  resolveVaultConfig,
  vaultSecretResolver,
  type ResolvedSecretReference,
  type SecretResolver,
} from '../src/index.js';

const PASSWORD = 'S3cr3t-from-vault';
let vault: VaultFake;
let client: VaultClient;
let dir: string;
let resolvers: SecretResolver[];

beforeAll(async () => {
  vault = await VaultFake.start();
  vault.putSecret('secret', 'cdc/source', { password: PASSWORD, user: 'cdc' });
  client = new VaultClient({ address: vault.address, auth: { method: 'token', token: vault.rootToken } });
  dir = await mkdtemp(join(tmpdir(), 'cdc-refs-'));
  await writeFile(join(dir, 'pg-password'), 'from-file\n');
  resolvers = [
    envSecretResolver({ CDC_TARGET_PASSWORD: 'from-env' }),
    fileSecretResolver(),
    vaultSecretResolver(client),
  ];
});

afterAll(async () => {
  await client.close();
  await vault.close();
  await rm(dir, { recursive: true, force: true });
});

describe('resolveSecretReferences', () => {
  it('walks a config and replaces vault:, env: and file: references, leaving other strings alone', async () => {
    const config = {
      connections: {
        source: { url: 'mssql://cdc@db:1433/app', password: 'vault:secret/cdc/source#password' },
        target: { url: 'postgres://cdc@pg/app', password: 'env:CDC_TARGET_PASSWORD' },
        replica: { password: `file:${join(dir, 'pg-password')}` },
      },
      users: ['vault:secret/cdc/source#user', 'literal'],
      port: 5432,
      enabled: true,
    };
    const seen: ResolvedSecretReference[] = [];
    const secrets: string[] = [];
    const out = await resolveSecretReferences(config, resolvers, {
      onResolved: (e) => seen.push(e),
      onSecret: (s) => secrets.push(s),
    });
    expect(out).toEqual({
      connections: {
        source: { url: 'mssql://cdc@db:1433/app', password: PASSWORD },
        target: { url: 'postgres://cdc@pg/app', password: 'from-env' },
        replica: { password: 'from-file' },
      },
      users: ['cdc', 'literal'],
      port: 5432,
      enabled: true,
    });
    expect(config.connections.source.password).toBe('vault:secret/cdc/source#password'); // not mutated
    expect(seen.map((e) => e.path).sort()).toEqual([
      'connections.replica.password',
      'connections.source.password',
      'connections.target.password',
      'users[0]',
    ]);
    expect(JSON.stringify(seen)).not.toContain(PASSWORD);
    expect(secrets).toContain(PASSWORD);
    // KV v2 read path for vault:secret/cdc/source#password
    expect(vault.requestsTo('secret/data/cdc/source').length).toBeGreaterThan(0);
  });

  it('fails loudly, naming every unresolved reference and never a value', async () => {
    const config = {
      a: 'vault:secret/cdc/missing#password',
      b: 'vault:secret/cdc/source#nokey',
      c: 'env:NOT_SET_ANYWHERE',
      d: 'file:/nonexistent/secret',
      e: 'vault:secret/../sys#x',
      f: 'vault:secret/cdc/source#password',
    };
    let error: (Error & { code?: string }) | undefined;
    try {
      await resolveSecretReferences(config, resolvers);
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error?.code).toBe('SECRET_UNRESOLVED');
    const message = error?.message ?? '';
    expect(message).toContain('5 secret references could not be resolved');
    for (const key of ['a', 'b', 'c', 'd', 'e'])
      expect(message).toContain(`${key}: ${config[key as keyof typeof config]}`);
    expect(message).not.toContain(PASSWORD);
  });

  it('falls back only along an explicit "||" chain, and reports which alternative resolved', async () => {
    const seen: ResolvedSecretReference[] = [];
    const out = await resolveSecretReferences(
      { password: 'vault:secret/cdc/missing#password || env:CDC_TARGET_PASSWORD' },
      resolvers,
      { onResolved: (e) => seen.push(e) },
    );
    expect(out.password).toBe('from-env');
    expect(seen[0]?.resolvedBy).toBe('env:CDC_TARGET_PASSWORD');
    expect(seen[0]?.failed[0]?.reference).toBe('vault:secret/cdc/missing#password');
    await expect(resolveSecretReferences({ p: 'env:NOT_SET || hunter2' }, resolvers)).rejects.toThrow(
      'literal fallbacks are not allowed',
    );
  });

  it('refuses vault: references when no vault resolver is configured instead of using them literally', async () => {
    await expect(
      resolveSecretReferences({ p: 'vault:secret/cdc/source#password' }, [envSecretResolver({})]),
    ).rejects.toThrow(/no resolver for vault: references.*add a vault block/s);
  });
});

describe('interop with the @cdc/core config loader', () => {
  it('plugs the vault resolver into core resolveSecret (which passes the text after "vault:")', async () => {
    const all = defaultSecretResolvers({ X: 'from-env' }, [vaultSecretResolver(client)]);
    expect(await resolveSecret('vault:secret/cdc/source#password', all)).toBe(PASSWORD);
    expect(await resolveSecret('env:X', all)).toBe('from-env');
    await expect(resolveSecret('vault:secret/../x#y', all)).rejects.toThrow('".." segments');
  });
});

describe('resolveVaultConfig', () => {
  it('resolves env:/file: references inside the vault block and applies defaults', async () => {
    const env = envSecretResolver({ VAULT_SECRET_ID: 'sid-123' });
    const config = await resolveVaultConfig(
      {
        address: vault.address,
        namespace: 'team-a',
        auth: {
          method: 'approle',
          roleId: `file:${join(dir, 'pg-password')}`,
          secretId: 'env:VAULT_SECRET_ID',
        },
      },
      [env, fileSecretResolver()],
    );
    expect(config).toMatchObject({
      address: vault.address,
      auth: { method: 'approle', roleId: 'from-file', secretId: 'sid-123', mount: 'approle' },
      timeoutMs: 5000,
      retries: 3,
      cacheTtlSeconds: 300,
    });
  });

  it('builds a working client from the block', async () => {
    vault.addAppRole({ roleId: 'cfg-role', secretId: 'cfg-secret' });
    const config = await resolveVaultConfig(
      { address: vault.address, auth: { method: 'approle', roleId: 'cfg-role', secretId: 'env:SID' } },
      [envSecretResolver({ SID: 'cfg-secret' })],
    );
    const c = createVaultClient(config);
    try {
      expect(await vaultSecretResolver(c).resolve('secret/cdc/source#user')).toBe('cdc');
    } finally {
      await c.close();
    }
  });

  it('refuses vault: references inside the vault block', async () => {
    await expect(
      resolveVaultConfig({
        address: vault.address,
        auth: { method: 'token', token: 'vault:secret/t#token' },
      }),
    ).rejects.toThrow(/cannot be used inside the vault block \(vault\.auth\.token\)/);
  });

  it('names an unresolvable reference in the block, never a value', async () => {
    await expect(
      resolveVaultConfig(
        { address: vault.address, auth: { method: 'token', token: 'env:VAULT_TOKEN_MISSING' } },
        [envSecretResolver({})],
      ),
    ).rejects.toThrow(/auth\.token: env:VAULT_TOKEN_MISSING/);
  });

  it('rejects a malformed block with precise paths and without echoing secrets', async () => {
    const attempt = resolveVaultConfig({
      address: 'https://user:hunter2@vault',
      auth: { method: 'approle', roleId: 'r', secretId: 'hunter3', extra: 1 },
      tls: { skipVerify: 'yes' },
    });
    await expect(attempt).rejects.toThrow(/CONFIG_INVALID|invalid vault block/);
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toContain('vault.address');
    expect(message).toContain('vault.tls.skipVerify');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('hunter3');
    await expect(resolveVaultConfig({ address: 'https://v', auth: { method: 'ldap' } })).rejects.toThrow(
      'vault.auth',
    );
  });
});
