import { describe, expect, it } from 'vitest';
import { isCdcError, type CdcError } from '@cdc/core';
import { MASK } from './connector-definition.js';
import { maskSecrets, renderConnectors } from './connector-plan.js';
import { parseKafkaConnectConfig, type KafkaConnectPipelineInput } from './kafka-connect-config.js';

const NASTY = `Pa"ss'w$rd{1}\\back\\\\slash$\${not:ref`;

function sqlServerPipeline(overrides: Partial<KafkaConnectPipelineInput> = {}): KafkaConnectPipelineInput {
  return {
    name: 'orders',
    mode: 'kafka-connect',
    source: {
      type: 'sqlserver',
      host: 'mssql',
      database: 'shop',
      user: 'cdc_reader',
      password: NASTY,
      tables: ['dbo.orders', { source: 'sales.order_lines', target: 'order_lines' }],
    },
    target: { host: 'pg', database: 'warehouse', user: 'cdc_writer', password: NASTY, schema: 'replica' },
    ...overrides,
  };
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

function config(pipelines: unknown[], kafka: Record<string, unknown> = {}) {
  return parseKafkaConnectConfig({
    kafka: { connect: { url: 'http://connect:8083' }, bootstrapServers: 'kafka:9092', ...kafka },
    pipelines,
  });
}

describe('renderConnectors: SQL Server → PostgreSQL', () => {
  const [source, sink] = renderConnectors(config([sqlServerPipeline()]));

  it('generates the Debezium SQL Server source with the documented properties', () => {
    expect(source?.name).toBe('orders-source');
    expect(source?.config).toMatchObject({
      name: 'orders-source',
      'connector.class': 'io.debezium.connector.sqlserver.SqlServerConnector',
      'tasks.max': '1',
      'database.hostname': 'mssql',
      'database.port': '1433',
      'database.user': 'cdc_reader',
      'database.names': 'shop',
      'topic.prefix': 'orders',
      'table.include.list': 'dbo\\.orders,sales\\.order_lines',
      'snapshot.mode': 'initial',
      'heartbeat.interval.ms': '10000',
      'schema.history.internal.kafka.bootstrap.servers': 'kafka:9092',
      'schema.history.internal.kafka.topic': 'orders.schema-history',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'true',
    });
    expect(source?.config['exactly.once.support']).toBeUndefined();
  });

  it('generates the JDBC sink: upsert, deletes, record_key, basic evolution, batch size, DLQ', () => {
    expect(sink?.config).toMatchObject({
      name: 'orders-sink',
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      topics: 'orders.shop.dbo.orders,orders.shop.sales.order_lines',
      'connection.url': 'jdbc:postgresql://pg:5432/warehouse?currentSchema=replica',
      'connection.username': 'cdc_writer',
      'insert.mode': 'upsert',
      'delete.enabled': 'true',
      'primary.key.mode': 'record_key',
      'schema.evolution': 'basic',
      'batch.size': '500',
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': 'orders.dlq',
      'errors.deadletterqueue.context.headers.enable': 'true',
      transforms: 'route0,route1',
      'transforms.route0.regex': 'orders\\.shop\\.dbo\\.orders',
      'transforms.route0.replacement': 'orders',
      'transforms.route1.replacement': 'order_lines',
    });
  });

  it('places passwords full of quotes, dollars, braces and backslashes whole, as JSON values', () => {
    expect(source?.config['database.password']).toBe(NASTY);
    expect(sink?.config['connection.password']).toBe(NASTY);
    // Nowhere else: not in the JDBC URL, not in any other property.
    for (const c of [source, sink]) {
      const others = Object.entries(c?.config ?? {}).filter(([k]) => !k.endsWith('password'));
      for (const [, v] of others) expect(v).not.toContain('Pa"ss');
    }
    const payload = JSON.parse(JSON.stringify([{ name: sink?.name, config: sink?.config }])) as {
      config: Record<string, string>;
    }[];
    expect(payload[0]?.config['connection.password']).toBe(NASTY);
    expect(source?.secretKeys).toEqual(['database.password']);
    expect(maskSecrets(sink!).config['connection.password']).toBe(MASK);
  });

  it('every value is a string, as the REST API stores them', () => {
    for (const c of [source, sink])
      for (const v of Object.values(c?.config ?? {})) expect(typeof v).toBe('string');
  });
});

describe('renderConnectors: options', () => {
  it('leaves config-provider references for the worker to resolve', () => {
    const [source, sink] = renderConnectors(
      config([
        sqlServerPipeline({
          source: {
            type: 'sqlserver',
            host: 'mssql',
            database: 'shop',
            user: 'cdc_reader',
            password: { provider: 'vault', path: 'secret/data/cdc/mssql', key: 'password' },
            tables: ['dbo.orders'],
          },
          target: {
            host: 'pg',
            database: 'warehouse',
            user: 'cdc_writer',
            password: { provider: 'env', key: 'CDC_PG_PASSWORD' },
          },
        }),
      ]),
    );
    expect(source?.config['database.password']).toBe('${vault:secret/data/cdc/mssql:password}');
    expect(sink?.config['connection.password']).toBe('${env:CDC_PG_PASSWORD}');
    expect(source?.secretKeys).toEqual([]);
  });

  it('soft deletes rewrite delete events with ExtractNewRecordState and keep rows', () => {
    const [, sink] = renderConnectors(
      config([
        sqlServerPipeline({ sink: { deletes: 'soft', softDeleteColumn: 'is_deleted', deadLetter: false } }),
      ]),
    );
    expect(sink?.config).toMatchObject({
      'delete.enabled': 'false',
      transforms: 'unwrap,softdelete,route0,route1',
      'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
      'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite',
      'transforms.softdelete.renames': '__deleted:is_deleted',
      'errors.tolerance': 'none',
    });
    expect(sink?.config['errors.deadletterqueue.topic.name']).toBeUndefined();
  });

  it('uses Avro with the schema registry on both sides', () => {
    const [source, sink] = renderConnectors(
      config([sqlServerPipeline({ converter: { format: 'avro' } })], {
        schemaRegistry: { url: 'http://schema-registry:8081' },
      }),
    );
    for (const c of [source, sink]) {
      expect(c?.config['value.converter']).toBe('io.confluent.connect.avro.AvroConverter');
      expect(c?.config['value.converter.schema.registry.url']).toBe('http://schema-registry:8081');
    }
    expect(() => renderConnectors(config([sqlServerPipeline({ converter: { format: 'avro' } })]))).toThrow(
      /schema registry URL/,
    );
  });

  it('asks for exactly-once only where the cluster allows it', () => {
    const eos = sqlServerPipeline();
    (eos.source as { exactlyOnce?: boolean }).exactlyOnce = true;
    expect(thrown(() => renderConnectors(config([eos]))).hint).toMatch(/exactly.once.source.support=enabled/);
    const [source] = renderConnectors(
      config([eos], { connect: { url: 'http://connect:8083', exactlyOnceSourceSupport: true } }),
    );
    expect(source?.config['exactly.once.support']).toBe('required');
  });

  it('generates the ScyllaDB CDC source with flattened cells', () => {
    const [source, sink] = renderConnectors(
      config([
        {
          name: 'events',
          mode: 'kafka-connect',
          source: {
            type: 'scylla',
            contactPoints: ['scylla:9042'],
            user: 'cdc',
            password: NASTY,
            localDc: 'datacenter1',
            tables: ['demo.events'],
          },
          target: { host: 'pg', database: 'warehouse', user: 'w', password: 'x' },
          sourceTasksMax: 4,
        },
      ]),
    );
    expect(source?.config).toMatchObject({
      'connector.class': 'com.scylladb.cdc.debezium.connector.ScyllaConnector',
      'topic.prefix': 'events',
      'scylla.cluster.ip.addresses': 'scylla:9042',
      'scylla.table.names': 'demo.events',
      'scylla.user': 'cdc',
      'scylla.password': NASTY,
      'scylla.local.dc': 'datacenter1',
      'tasks.max': '4',
      'topic.creation.default.partitions': '1',
      'transforms.flatten.type': 'com.scylladb.cdc.debezium.connector.transforms.ScyllaFlattenColumns',
    });
    expect(sink?.config.topics).toBe('events.demo.events');
  });

  it('refuses Scylla soft deletes without preimages (they would null the kept row)', () => {
    const pipeline = (preimages: boolean) => ({
      name: 'ev',
      mode: 'kafka-connect',
      source: { type: 'scylla', contactPoints: ['s:9042'], tables: ['k.t'], preimages },
      target: { host: 'pg', database: 'w', user: 'w', password: 'x' },
      sink: { deletes: 'soft' },
    });
    expect(thrown(() => renderConnectors(config([pipeline(false)]))).hint).toMatch(/'preimage': true/);
    const [source, sink] = renderConnectors(config([pipeline(true)]));
    expect(source?.config['experimental.preimages.enabled']).toBe('true');
    expect(sink?.config['transforms.unwrap.delete.tombstone.handling.mode']).toBe('rewrite');
  });

  it('names the topic prefix scylla.name for connector releases before 1.2.3', () => {
    const [source] = renderConnectors(
      config([
        {
          name: 'ev-1',
          mode: 'kafka-connect',
          source: { type: 'scylla', contactPoints: ['s:9042'], tables: ['k.t'], connectorVersion: 'legacy' },
          target: { host: 'pg', database: 'w', user: 'w', password: 'x' },
        },
      ]),
    );
    expect(source?.config['scylla.name']).toBe('ev_1');
    expect(source?.config['topic.prefix']).toBeUndefined();
  });
});

describe('configuration errors', () => {
  it('reports every bad path of a kafka-connect pipeline and skips other modes', () => {
    const bad = { ...sqlServerPipeline(), target: { host: 'pg' } };
    try {
      config([{ name: 'embedded-one', mode: 'embedded', anything: true }, bad]);
      expect.unreachable();
    } catch (error) {
      expect(isCdcError(error) && error.code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toContain('pipelines[1].target.database');
      expect((error as Error).message).not.toContain('pipelines[0]');
    }
  });

  it('accepts pipelines as a map keyed by name', () => {
    const { name: _n, ...rest } = sqlServerPipeline();
    const parsed = parseKafkaConnectConfig({
      kafka: { connect: { url: 'http://connect:8083' }, bootstrapServers: 'kafka:9092' },
      pipelines: { orders: rest },
    });
    expect(parsed.pipelines[0]?.name).toBe('orders');
  });

  it('refuses an unknown pipeline name and a config without kafka-connect pipelines', () => {
    expect(thrown(() => renderConnectors(config([sqlServerPipeline()]), 'nope')).hint).toMatch(
      /Pipelines with mode: kafka-connect: orders/,
    );
    expect(() => renderConnectors(config([]))).toThrow(/no pipeline/);
  });

  it('refuses table names that are not two-part', () => {
    const p = sqlServerPipeline();
    (p.source as { tables: string[] }).tables = ['orders'];
    expect(() => renderConnectors(config([p]))).toThrow(/two-part/);
  });

  it('refuses a missing kafka block with a hint', () => {
    expect(() => parseKafkaConnectConfig({ pipelines: [] })).toThrow(/kafka/);
  });
});
