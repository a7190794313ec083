/**
 * docker/connect/entrypoint.sh run for real with a stand-in Kafka home whose connect-distributed.sh
 * reports what it was given: the rendered worker config and the environment it inherits.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const entrypoint = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docker/connect/entrypoint.sh');
const TOKEN = 'Aa1vaultTokenForTheTestOnly0123456789';

let dir: string;
let output: string;
let properties: Map<string, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cdc-connect-'));
  mkdirSync(join(dir, 'kafka/bin'), { recursive: true });
  const stub = join(dir, 'kafka/bin/connect-distributed.sh');
  // Prints its argument and the token variable as the worker process would see them.
  writeFileSync(stub, '#!/bin/bash\necho "config=$1"\necho "token=${CONNECT_VAULT_TOKEN:-unset}"\n');
  chmodSync(stub, 0o755);
  output = execFileSync('bash', [entrypoint], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      KAFKA_HOME: join(dir, 'kafka'),
      CONNECT_CONFIG_DIR: dir,
      LOG_DIR: join(dir, 'logs'),
      CONNECT_BOOTSTRAP_SERVERS: 'kafka:9092',
      CONNECT_GROUP_ID: 'cdc-connect',
      CONNECT_REST_ADVERTISED_HOST_NAME: 'connect',
      VAULT_ADDR: 'http://vault:8200',
      CONNECT_VAULT_TOKEN: TOKEN,
    },
    encoding: 'utf8',
  });
  const text = readFileSync(join(dir, 'connect-distributed.properties'), 'utf8');
  properties = new Map(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docker/connect/entrypoint.sh', () => {
  it('starts the distributed worker with the rendered config', () => {
    expect(output).toContain(`config=${join(dir, 'connect-distributed.properties')}`);
    expect(properties.get('bootstrap.servers')).toBe('kafka:9092');
    expect(properties.get('group.id')).toBe('cdc-connect');
    expect(properties.get('rest.advertised.host.name')).toBe('connect');
    expect(properties.get('plugin.path')).toBe('/opt/connect-plugins');
    expect(properties.get('exactly.once.source.support')).toBe('enabled');
  });

  it('declares the config providers the generated connector configs reference, with limits', () => {
    expect(properties.get('config.providers')).toBe('file,dir,env,vault');
    expect(properties.get('config.providers.env.class')).toBe(
      'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
    );
    expect(properties.get('config.providers.env.param.allowlist.pattern')).toBe('^CDC_[A-Z0-9_]*$');
    expect(properties.get('config.providers.file.param.allowed.paths')).toBe('/run/secrets');
    expect(properties.get('config.providers.vault.param.vault.addr')).toBe('http://vault:8200');
    // Connector configs can't read the worker's own token through the env provider.
    expect(
      new RegExp(properties.get('config.providers.env.param.allowlist.pattern') ?? '').test(
        'CONNECT_VAULT_TOKEN',
      ),
    ).toBe(false);
  });

  it('keeps the Vault token in the 0600 config file only, not in the worker environment', () => {
    expect(properties.get('config.providers.vault.param.vault.token')).toBe(TOKEN);
    expect(statSync(join(dir, 'connect-distributed.properties')).mode & 0o777).toBe(0o600);
    expect(output).toContain('token=unset');
  });

  it('refuses to start without its required settings', () => {
    expect(() =>
      execFileSync('bash', [entrypoint], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          KAFKA_HOME: join(dir, 'kafka'),
          CONNECT_CONFIG_DIR: dir,
        },
        stdio: 'pipe',
      }),
    ).toThrow();
  });
});
