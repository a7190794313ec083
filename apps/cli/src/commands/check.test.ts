import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestDatabase, VaultFake } from '@cdc/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../index.js';

const db = useTestDatabase('cdc_cli_check');
/** A secret no output may ever contain (stored in Vault and in an environment variable). */
const UNIQUE = 'uNiQuE-s3cret-Zq81x';
const TOKEN_ENV = 'CHECK_VAULT_TOKEN';

let vault: VaultFake;
let dir: string;
let pgPassword: string;
let pgUrl: string;

beforeAll(async () => {
  vault = await VaultFake.start({ version: '1.15.2' });
  dir = await mkdtemp(join(tmpdir(), 'cdc-cli-check-'));
  const url = new URL(db().url);
  pgPassword = decodeURIComponent(url.password);
  url.password = '';
  pgUrl = url.toString();
  await db().query(`
    CREATE SCHEMA IF NOT EXISTS src;
    CREATE TABLE IF NOT EXISTS src.items (sku text PRIMARY KEY, qty int);
  `);
});

afterAll(async () => {
  await vault?.close();
});

beforeEach(() => {
  vault.setState('active');
  vault.putSecret('secret', 'cdc/pg', { password: pgPassword });
  vault.putSecret('secret', 'cdc/spare', { password: UNIQUE });
});

/**
 * A configuration: `src` reads its password from Vault, `dw` from `dwPassword` (a reference), and
 * `spare` (no pipeline uses it) holds the unique secret, from Vault and from an environment variable.
 */
async function writeConfig(options: { srcPassword?: string; dwPassword?: string } = {}): Promise<string> {
  const file = join(dir, `cdc-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(
    file,
    `vault:
  address: ${vault.address}
  auth: { method: token, token: env:${TOKEN_ENV} }
  retries: 0
connections:
  src: { url: "${pgUrl}", password: "${options.srcPassword ?? 'vault:secret/cdc/pg#password'}" }
  dw: { url: "${pgUrl}", password: "${options.dwPassword ?? 'env:DW_PASSWORD'}" }
  spare: { url: env:SPARE_URL, password: "vault:secret/cdc/spare#password" }
pipelines:
  - { name: shop, source: src, target: dw, tables: [src.items] }
`,
  );
  return file;
}

function capture() {
  let text = '';
  return { stream: { write: (s: string) => (text += s), isTTY: false }, text: () => text };
}

async function check(args: string[], env: Record<string, string | undefined> = {}) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(['check', ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: {
      [TOKEN_ENV]: vault.rootToken,
      DW_PASSWORD: pgPassword,
      SPARE_URL: `postgres://spare:${UNIQUE}@nowhere.invalid/db`,
      ...env,
    },
  });
  const out = { code, stdout: stdout.text(), stderr: stderr.text() };
  // The unique secret never reaches any output, whatever the outcome.
  expect(out.stdout + out.stderr).not.toContain(UNIQUE);
  return out;
}

interface CheckDocument {
  ok: boolean;
  problems: number;
  vault: { address: string; status: string; version?: string; latencyMs?: number; usable: boolean } | null;
  secretReferences: { path: string; reference: string; status: string; error?: string; code?: string }[];
  checks: { status: string; where: string; message: string }[];
}

describe('cdc check --config: Vault health and secret references (VaultFake, real PostgreSQL)', () => {
  it('healthy Vault: reports its version and latency, and every reference as resolved', async () => {
    const file = await writeConfig();
    const r = await check(['--config', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('all checks passed');
    expect(r.stderr).toMatch(
      new RegExp(`✓ vault: ok \\(version 1\\.15\\.2, \\d+ ms\\) at ${vault.address.replace(/\./g, '\\.')}`),
    );
    expect(r.stderr).toContain('secret references (5):');
    expect(r.stderr).toContain(`✓ secret vault.auth.token (env:${TOKEN_ENV}): resolved`);
    expect(r.stderr).toContain('✓ secret connections.src.password (vault:secret/cdc/pg#password): resolved');
    expect(r.stderr).toContain('✓ secret connections.dw.password (env:DW_PASSWORD): resolved');
    expect(r.stderr).toContain(
      '✓ secret connections.spare.password (vault:secret/cdc/spare#password): resolved',
    );
    expect(r.stderr).toContain('source src: connected to');

    const j = await check(['--config', file, '--format', 'json']);
    expect(j.code).toBe(0);
    expect(j.stderr).toBe('');
    const doc = JSON.parse(j.stdout) as CheckDocument;
    expect(doc).toMatchObject({
      ok: true,
      problems: 0,
      vault: { address: vault.address, status: 'ok', version: '1.15.2', usable: true },
    });
    expect(doc.vault?.latencyMs).toEqual(expect.any(Number));
    expect(doc.secretReferences).toEqual([
      {
        path: 'vault.auth.token',
        reference: `env:${TOKEN_ENV}`,
        status: 'resolved',
        resolvedBy: `env:${TOKEN_ENV}`,
      },
      {
        path: 'connections.src.password',
        reference: 'vault:secret/cdc/pg#password',
        status: 'resolved',
        resolvedBy: 'vault:secret/cdc/pg#password',
      },
      {
        path: 'connections.dw.password',
        reference: 'env:DW_PASSWORD',
        status: 'resolved',
        resolvedBy: 'env:DW_PASSWORD',
      },
      {
        path: 'connections.spare.url',
        reference: 'env:SPARE_URL',
        status: 'resolved',
        resolvedBy: 'env:SPARE_URL',
      },
      {
        path: 'connections.spare.password',
        reference: 'vault:secret/cdc/spare#password',
        status: 'resolved',
        resolvedBy: 'vault:secret/cdc/spare#password',
      },
    ]);
    expect(doc.checks.some((c) => c.where === 'source src src.items' && c.status === 'ok')).toBe(true);
  });

  it('sealed Vault: a problem (exit 2), and each vault: reference fails naming Vault, without requests', async () => {
    const file = await writeConfig();
    vault.setState('sealed');
    const before = vault.requestsTo(/secret\/data\//).length;
    const r = await check(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /^✗ vault: sealed \(version 1\.15\.2, \d+ ms\) at http:\/\/127\.0\.0\.1:\d+ — Vault is sealed: unseal it/m,
    );
    expect(r.stdout).toMatch(
      /^✗ secret connections\.src\.password \(vault:secret\/cdc\/pg#password\): secret reference vault:secret\/cdc\/pg#password: Vault at http:\/\/127\.0\.0\.1:\d+ is sealed/m,
    );
    expect(r.stdout).toMatch(
      /^✗ secret connections\.spare\.password \(vault:secret\/cdc\/spare#password\): /m,
    );
    expect(r.stdout).not.toContain('all checks passed');
    // The env: reference still resolved; the connection whose password is in Vault is not checked.
    expect(r.stderr).toContain('✓ secret connections.dw.password (env:DW_PASSWORD): resolved');
    expect(r.stderr).toContain('source src: not checked: secret reference vault:secret/cdc/pg#password');
    expect(r.stderr).toMatch(/3 problem\(s\) found: vault, secret connections\.src\.password/);
    expect(vault.requestsTo(/secret\/data\//).length).toBe(before);

    const j = await check(['--config', file, '--format', 'json']);
    expect(j.code).toBe(2);
    const doc = JSON.parse(j.stdout) as CheckDocument;
    expect(doc).toMatchObject({ ok: false, problems: 3, vault: { status: 'sealed', usable: false } });
    expect(doc.secretReferences.filter((s) => s.status === 'failed').map((s) => s.path)).toEqual([
      'connections.src.password',
      'connections.spare.password',
    ]);
  });

  it('a missing Vault secret (404) is reported by reference; every other reference is still checked', async () => {
    const file = await writeConfig({ srcPassword: 'vault:secret/cdc/missing#password' });
    const r = await check(['--config', file]);
    expect(r.code).toBe(2);
    expect(vault.requestsTo('secret/data/cdc/missing').length).toBeGreaterThan(0);
    const problems = r.stdout.trim().split('\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^✗ secret connections\.src\.password \(vault:secret\/cdc\/missing#password\): .*secret\/cdc\/missing/,
    );
    expect(r.stderr).toMatch(/✓ vault: ok /);
    expect(r.stderr).toContain(
      '✓ secret connections.spare.password (vault:secret/cdc/spare#password): resolved',
    );
    expect(r.stderr).toContain('source src: not checked');
    // The target's password resolved, so it is checked (collect every failure, don't stop at the first).
    expect(r.stderr).toContain('target dw: connected to');
    const doc = JSON.parse((await check(['--config', file, '--format', 'json'])).stdout) as CheckDocument;
    expect(doc.secretReferences.find((s) => s.path === 'connections.src.password')).toMatchObject({
      reference: 'vault:secret/cdc/missing#password',
      status: 'failed',
      code: 'SECRET_UNRESOLVED',
    });
  });

  it('an unset env: reference is reported by reference, with the fix', async () => {
    const file = await writeConfig();
    const r = await check(['--config', file], { DW_PASSWORD: undefined });
    expect(r.code).toBe(2);
    expect(r.stdout.trim()).toBe(
      '✗ secret connections.dw.password (env:DW_PASSWORD): secret reference env:DW_PASSWORD: the environment variable DW_PASSWORD is not set — export DW_PASSWORD=… before running cdc',
    );
    expect(r.stderr).toContain(
      'target dw: not checked: secret reference env:DW_PASSWORD at connections.dw.password',
    );
    expect(r.stderr).toContain('source src: connected to');
  });

  it('an unresolvable vault block: Vault is reported invalid and its references fail, naming the variable', async () => {
    const file = await writeConfig();
    const r = await check(['--config', file, '--format', 'json'], { [TOKEN_ENV]: undefined });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as CheckDocument;
    expect(doc.vault).toMatchObject({ address: vault.address, status: 'invalid', usable: false });
    expect(doc.secretReferences[0]).toMatchObject({
      path: 'vault.auth.token',
      reference: `env:${TOKEN_ENV}`,
      status: 'failed',
    });
    expect(doc.secretReferences[0]?.error).toContain(`the environment variable ${TOKEN_ENV} is not set`);
    expect(r.stderr).toMatch(/problem\(s\) found: vault, secret vault\.auth\.token/);
  });

  it('a vault.address with credentials: reported invalid, the password masked in text and JSON', async () => {
    const file = join(dir, 'credentials.yaml');
    const address = vault.address.replace('://', `://admin:${UNIQUE}@`);
    await writeFile(
      file,
      `vault: { address: "${address}", auth: { method: token, token: env:${TOKEN_ENV} }, retries: 0 }
connections:
  spare: { url: env:SPARE_URL, password: "vault:secret/cdc/spare#password" }
`,
    );
    const json = await check(['--config', file, '--format', 'json']);
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.stdout) as CheckDocument;
    expect(doc.vault).toMatchObject({ status: 'invalid', usable: false });
    expect(doc.vault?.address).toMatch(/^http:\/\/admin:\*\*\*@127\.0\.0\.1:\d+/);
    const text = await check(['--config', file]);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^✗ vault: invalid: .* at http:\/\/admin:\*\*\*@/m);
  });

  it('unreachable Vault: reported with the error', async () => {
    const closed = await VaultFake.start();
    const address = closed.address;
    await closed.close();
    const file = join(dir, 'unreachable.yaml');
    await writeFile(
      file,
      `vault: { address: "${address}", auth: { method: token, token: env:${TOKEN_ENV} }, retries: 0, timeoutMs: 2000 }
connections:
  spare: { url: env:SPARE_URL, password: "vault:secret/cdc/spare#password" }
`,
    );
    const r = await check(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      new RegExp(`^✗ vault: unreachable: .+ \\(\\d+ ms\\) at ${address.replace(/\./g, '\\.')}`, 'm'),
    );
    expect(r.stdout).toMatch(
      /^✗ secret connections\.spare\.password \(vault:secret\/cdc\/spare#password\): .*unreachable/m,
    );
  });
});
