/** The cdc configuration files shipped with the docker stack stay valid as the schemas evolve. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@cdc/core';
import { parseKafkaConnectConfig } from '../src/kafka-connect-config.js';
import { renderConnectors } from '../src/connector-plan.js';

const dockerDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docker');
const read = (path: string) => readFileSync(resolve(dockerDir, path), 'utf8');

describe('docker stack configurations', () => {
  it('connect/cdc.kafka-connect.yaml passes the core schema and renders every connector', () => {
    const config = parseConfig(read('connect/cdc.kafka-connect.yaml'), { env: {} });
    const connectors = renderConnectors(parseKafkaConnectConfig(config));
    expect(connectors.map((c) => c.name)).toEqual([
      'shop-source',
      'shop-sink',
      'events-source',
      'events-sink',
    ]);
    // Every password is a Vault reference resolved by the worker: nothing secret in the payloads.
    for (const c of connectors) {
      expect(c.secretKeys).toEqual([]);
      const passwords = Object.entries(c.config).filter(([k]) => k.endsWith('password'));
      expect(passwords.length).toBe(1);
      for (const [, v] of passwords) expect(v).toMatch(/^\$\{vault:secret\/data\/cdc\/[a-z]+:password\}$/);
    }
    const shopSource = connectors[0]?.config;
    expect(shopSource?.['exactly.once.support']).toBe('required');
    expect(shopSource?.['value.converter.schema.registry.url']).toBe('http://schema-registry:8081');
    // Topics get one partition per sink task, so every sink task has work.
    expect(shopSource?.['topic.creation.default.partitions']).toBe(connectors[1]?.config['tasks.max']);
  });

  it('scripts/cdc.embedded.yaml passes the core schema and has no kafka-connect pipeline', () => {
    const config = parseConfig(read('scripts/cdc.embedded.yaml'), { env: {} });
    expect(config.pipelines.map((p) => p.name)).toEqual(['shop', 'events']);
    expect(config.pipelines.every((p) => p.mode !== 'kafka-connect')).toBe(true);
  });
});
