import { readFile } from 'node:fs/promises';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaultFake } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { runCli } from '../index.js';
import { configSchemaDocument } from './config.js';

function capture() {
  let text = '';
  return { stream: { write: (s: string) => (text += s), isTTY: false }, text: () => text };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(args, { stdout: stdout.stream, stderr: stderr.stream, env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('cdc config', () => {
  it('docs/cdc.schema.json is up to date (regenerate with npm run schema -w @cdc/cli)', async () => {
    const file = await readFile(new URL('../../../../docs/cdc.schema.json', import.meta.url), 'utf8');
    expect(JSON.parse(file)).toEqual(JSON.parse(configSchemaDocument()));
  });

  it('validates a good file, resolving secret references, and never prints them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdc-cli-config-'));
    const file = join(dir, 'cdc.yaml');
    await writeFile(
      file,
      'connections:\n  a: { url: "postgres://app@${HOST}/db", password: env:PW }\npipelines:\n  - { name: p, source: a, target: a, tables: [public.t, \'"X"."Y z"\'] }\n',
    );
    const ok = await cli(['config', 'validate', file], { HOST: 'db1', PW: 'topsecret' });
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toContain('is valid: 1 connection(s), 1 pipeline(s), 2 table(s)');
    const missing = await cli(['config', 'validate', file], { HOST: 'db1' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'connections.a.password: secret reference env:PW: the environment variable PW is not set',
    );
    const skipped = await cli(['config', 'validate', '--no-secrets', file], { HOST: 'db1' });
    expect(skipped.code).toBe(0);
  });

  it('loads plugins: relative to the file and refuses a connection whose scheme nobody registered', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdc-cli-config-'));
    const file = join(dir, 'cdc.yaml');
    await writeFile(file, 'connections:\n  a: { url: "oracle://app@h/db" }\n');
    const unknown = await cli(['config', 'validate', '--no-secrets', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('connections.a URL oracle://app@h/db: unsupported scheme "oracle:"');
    await writeFile(file, 'plugins: [./missing.mjs]\nconnections:\n  a: { url: "postgres://app@h/db" }\n');
    const missing = await cli(['config', 'validate', file]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      `plugin ./missing.mjs not found: ${join(dir, 'missing.mjs')} does not exist`,
    );
  });

  it('reports every problem with file:line:col, exit 2, and no stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdc-cli-config-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'connections:\n  a: { url: postgres://h/db }\npipelines:\n  - { name: p, source: a, target: b, tables: [t] }\n',
    );
    const r = await cli(['config', 'validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${file}:4:35 pipelines[0].target: unknown connection "b"; define it under connections (known: a) — fix it and check again with \`cdc config validate\`\n`,
    );
  });

  it('names a missing file', async () => {
    const r = await cli(['config', 'validate', '/nonexistent/cdc.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /cannot read configuration file \/nonexistent\/cdc\.yaml \(ENOENT\) — check the path/,
    );
  });

  it('maps usage errors to exit 2 and help to exit 0', async () => {
    expect((await cli(['config', 'validate', '--bogus'])).code).toBe(2);
    const help = await cli(['config', 'validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });

  it('resolves vault: references through the vault block (against VaultFake, a fake of the Vault HTTP API)', async () => {
    const vault = await VaultFake.start();
    try {
      vault.putSecret('secret', 'cdc/pg', { password: 'from-vault-123' });
      const dir = await mkdtemp(join(tmpdir(), 'cdc-cli-vault-'));
      const file = join(dir, 'cdc.yaml');
      await writeFile(
        file,
        `vault:\n  address: ${vault.address}\n  auth: { method: token, token: env:VAULT_TOKEN }\n` +
          'connections:\n  a: { url: postgres://app@h/db, password: "vault:secret/cdc/pg#password" }\n',
      );
      const ok = await cli(['config', 'validate', file], { VAULT_TOKEN: vault.rootToken });
      expect(ok).toMatchObject({ code: 0, stderr: '' });
      expect(vault.requestsTo(/secret\/data\/cdc\/pg/).length).toBeGreaterThan(0);
      await writeFile(
        file,
        `vault:\n  address: ${vault.address}\n  auth: { method: token, token: env:VAULT_TOKEN }\n` +
          'connections:\n  a: { url: postgres://app@h/db, password: "vault:secret/cdc/pg#nope" }\n',
      );
      const bad = await cli(['config', 'validate', file], { VAULT_TOKEN: vault.rootToken });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/connections\.a\.password: /);
    } finally {
      await vault.close();
    }
  });
});
