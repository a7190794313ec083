import { embeddedPipelines, isCdcError, parseConfig, type CdcError } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { connectionSecret } from './connection-endpoints.js';
import { renderConnectors } from './connector-plan.js';
import { parseKafkaConnectConfig } from './kafka-connect-config.js';

const kafka = { connect: { url: 'http://connect:8083' }, bootstrapServers: 'kafka:9092' };

/** One configuration file, its pipeline in `mode`: the only line that differs between the two modes. */
function yaml(mode: 'snapshot+stream' | 'kafka-connect'): string {
  return `
connections:
  erp: { url: "mssql://cdc_reader@sql1.internal:1433/shop?encrypt=true&trustServerCertificate=false", password: "vault:secret/cdc/mssql#password" }
  dw: { url: "postgres://cdc_writer@pg.internal:5432/warehouse?sslmode=verify-full", password: env:CDC_PG_PASSWORD }
kafka:
  connect: { url: http://connect:8083 }
  bootstrapServers: kafka:9092
pipelines:
  - name: shop
    mode: ${mode}
    source: erp
    target: dw
    targetSchema: replica
    tables: [dbo.customers, { source: sales.order_lines, target: replica.order_lines }]
`;
}

function thrown(fn: () => unknown): CdcError {
  try {
    fn();
  } catch (error) {
    if (isCdcError(error)) return error;
    throw error;
  }
  throw new Error('expected a CdcError');
}

describe('kafka-connect pipelines naming connections', () => {
  it('switching mode is a one-line change: the same pipeline validates in both modes', () => {
    const embedded = parseConfig(yaml('snapshot+stream'));
    expect(embeddedPipelines(embedded).map((p) => p.name)).toEqual(['shop']);
    const scaled = parseKafkaConnectConfig(parseConfig(yaml('kafka-connect')));
    expect(scaled.pipelines.map((p) => p.name)).toEqual(['shop']);
  });

  it('derives the same pipeline as the inline form, with secret references as config-provider references', () => {
    const fromConnections = parseKafkaConnectConfig(parseConfig(yaml('kafka-connect')));
    const inline = parseKafkaConnectConfig({
      kafka,
      pipelines: [
        {
          name: 'shop',
          mode: 'kafka-connect',
          source: {
            type: 'sqlserver',
            host: 'sql1.internal',
            port: 1433,
            database: 'shop',
            user: 'cdc_reader',
            password: { provider: 'vault', path: 'secret/data/cdc/mssql', key: 'password' },
            encrypt: true,
            trustServerCertificate: false,
            tables: ['dbo.customers', { source: 'sales.order_lines', target: 'order_lines' }],
          },
          target: {
            host: 'pg.internal',
            port: 5432,
            database: 'warehouse',
            user: 'cdc_writer',
            password: { provider: 'env', key: 'CDC_PG_PASSWORD' },
            schema: 'replica',
            sslmode: 'verify-full',
          },
        },
      ],
    });
    expect(fromConnections.pipelines).toEqual(inline.pipelines);
    const [source, sink] = renderConnectors(fromConnections);
    expect(source?.config).toMatchObject({
      'database.hostname': 'sql1.internal',
      'database.port': '1433',
      'database.user': 'cdc_reader',
      'database.password': '${vault:secret/data/cdc/mssql:password}',
      'database.names': 'shop',
    });
    expect(JSON.stringify(sink?.config)).toContain('${env:CDC_PG_PASSWORD}');
  });

  it('a ScyllaDB connection gives contact points, data center, consistency and user; sourceOptions add the rest', () => {
    const config = parseKafkaConnectConfig({
      kafka,
      connections: {
        events: {
          url: 'scylla://reader@scylla1:9042,scylla2/shop?localDataCenter=dc1&consistency=local_quorum',
          password: 'file:/run/secrets/scylla',
        },
        dw: { url: 'postgres://writer:literal%24pw@pg/warehouse' },
      },
      pipelines: [
        {
          name: 'events',
          mode: 'kafka-connect',
          source: 'events',
          target: 'dw',
          tables: ['shop.events'],
          sourceOptions: { preimages: true },
        },
      ],
    });
    expect(config.pipelines[0]!.source).toMatchObject({
      type: 'scylla',
      contactPoints: ['scylla1:9042', 'scylla2:9042'],
      localDc: 'dc1',
      consistencyLevel: 'LOCAL_QUORUM',
      user: 'reader',
      password: { provider: 'dir', path: '/run/secrets', key: 'scylla' },
      tables: ['shop.events'],
      preimages: true,
    });
    // A password written in the URL is a resolved value, placed whole.
    expect(config.pipelines[0]!.target).toMatchObject({ host: 'pg', user: 'writer', password: 'literal$pw' });
  });

  it('the inline form keeps working next to connection references', () => {
    const config = parseKafkaConnectConfig({
      kafka,
      connections: { dw: { url: 'postgres://writer@pg/warehouse', password: 'env:PG_PW' } },
      pipelines: [
        {
          name: 'mixed',
          mode: 'kafka-connect',
          source: {
            type: 'sqlserver',
            host: 'h',
            database: 'd',
            user: 'u',
            password: 'p',
            tables: ['dbo.t'],
          },
          target: 'dw',
        },
      ],
    });
    expect(config.pipelines[0]!.source).toMatchObject({ type: 'sqlserver', host: 'h' });
    expect(config.pipelines[0]!.target).toMatchObject({
      host: 'pg',
      password: { provider: 'env', key: 'PG_PW' },
    });
  });

  it.each([
    [{ source: 'nope', target: 'dw', tables: ['t'] }, 'pipelines[0].source: no connection named "nope"'],
    [
      { source: 'maria', target: 'dw', tables: ['t'] },
      'pipelines[0].source ("maria"): mysql://u@m/db is not a Kafka Connect source here',
    ],
    [
      { source: 'erp', target: 'erp', tables: ['dbo.t'] },
      'pipelines[0].target ("erp"): mssql://u@sql/db is not PostgreSQL',
    ],
    [
      { source: 'erp', target: 'dw', tables: [{ source: 'dbo.t', mask: { ssn: 'hash' } }] },
      'pipelines[0].tables[0]: mask is not supported by kafka-connect pipelines',
    ],
    [
      { source: 'erp', target: 'dw', tables: [{ source: 'dbo.t', target: 'other.t' }] },
      'pipelines[0].tables[0].target: "other.t" is outside the target schema "public"',
    ],
    [
      { source: 'erp', target: 'fallback', tables: ['dbo.t'] },
      'pipelines[0].target ("fallback").password: a secret reference with fallbacks (a || b) cannot be handed to Kafka Connect',
    ],
  ])('names the path and the problem: %j', (pipeline, message) => {
    const error = thrown(() =>
      parseKafkaConnectConfig({
        kafka,
        connections: {
          erp: { url: 'mssql://u@sql/db', password: 'env:MS' },
          dw: { url: 'postgres://w@pg/warehouse', password: 'env:PG' },
          maria: { url: 'mysql://u@m/db', password: 'env:M' },
          fallback: { url: 'postgres://w@pg/warehouse', password: 'vault:secret/pg#pw || env:PG' },
        },
        pipelines: [{ name: 'p', mode: 'kafka-connect', ...pipeline }],
      }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(message);
  });
});

describe('connectionSecret', () => {
  it('translates cdc secret references to config-provider references', () => {
    expect(connectionSecret('env:CDC_PG', 'x')).toEqual({ provider: 'env', key: 'CDC_PG' });
    expect(connectionSecret('file:/run/secrets/pg', 'x')).toEqual({
      provider: 'dir',
      path: '/run/secrets',
      key: 'pg',
    });
    expect(connectionSecret('vault:kv/teams/cdc/pg#password', 'x')).toEqual({
      provider: 'vault',
      path: 'kv/data/teams/cdc/pg',
      key: 'password',
    });
    expect(connectionSecret('plain-value', 'x')).toBe('plain-value');
  });

  it('refuses what a config provider cannot express', () => {
    expect(() => connectionSecret('vault:secret/pg?version=2#pw', 'where')).toThrow(/without \?version/);
    expect(() => connectionSecret('file:relative', 'where')).toThrow(/absolute path/);
  });
});
