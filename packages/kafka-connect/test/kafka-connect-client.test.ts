/** Every REST operation of KafkaConnectClient against KafkaConnectFake (a fake of the documented API). */
import { fc, test } from '@fast-check/vitest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCdcError, type CdcError } from '@cdc/core';
import { KafkaConnectFake } from '@cdc/testkit';
import { KafkaConnectClient } from '../src/kafka-connect-client.js';
import { renderConnectors } from '../src/connector-plan.js';
import { parseKafkaConnectConfig } from '../src/kafka-connect-config.js';

const NASTY = `q"u'o$te{s}\\and\\\\back$lashes\${`;

let fake: KafkaConnectFake;
let client: KafkaConnectClient;

beforeAll(async () => {
  fake = await KafkaConnectFake.start();
  client = new KafkaConnectClient({
    url: fake.url,
    retry: { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 5 },
  });
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  for (const name of await client.listConnectors()) await client.delete(name);
});

async function rejection(promise: Promise<unknown>): Promise<CdcError> {
  try {
    await promise;
  } catch (error) {
    if (isCdcError(error)) return error;
    throw error;
  }
  throw new Error('expected a CdcError');
}

function connectors(password = NASTY) {
  return renderConnectors(
    parseKafkaConnectConfig({
      kafka: { connect: { url: fake.url }, bootstrapServers: 'kafka:9092' },
      pipelines: [
        {
          name: 'orders',
          mode: 'kafka-connect',
          source: {
            type: 'sqlserver',
            host: 'mssql',
            database: 'shop',
            user: 'cdc_reader',
            password,
            tables: ['dbo.orders'],
          },
          target: { host: 'pg', database: 'warehouse', user: 'cdc_writer', password },
          sink: { tasksMax: 2 },
        },
      ],
    }),
  );
}

describe('KafkaConnectClient against KafkaConnectFake', () => {
  it('reads the worker version and the installed plugins', async () => {
    expect((await client.serverInfo()).version).toBe('3.9.0');
    const plugins = await client.listPlugins();
    expect(plugins.map((p) => p.class)).toContain('io.debezium.connector.jdbc.JdbcSinkConnector');
  });

  it('deploys idempotently: created, then unchanged, then updated', async () => {
    const [source, sink] = connectors();
    expect(await client.deploy(source!)).toEqual({ name: 'orders-source', action: 'created' });
    expect(await client.deploy(sink!)).toEqual({ name: 'orders-sink', action: 'created' });
    expect(await client.deploy(sink!)).toEqual({ name: 'orders-sink', action: 'unchanged' });
    const changed = { ...sink!, config: { ...sink!.config, 'batch.size': '1000' } };
    expect(await client.deploy(changed)).toEqual({ name: 'orders-sink', action: 'updated' });
    const puts = fake.requests.filter(
      (r) => r.method === 'PUT' && r.path === '/connectors/orders-sink/config',
    );
    expect(puts).toHaveLength(2);
  });

  it('plans a deploy without writing: create, then the changed properties, secrets masked', async () => {
    const [, sink] = connectors();
    expect((await client.plan(sink!)).action).toBe('create');
    await client.deploy(sink!);
    expect(await client.plan(sink!)).toEqual({ name: 'orders-sink', action: 'unchanged', changes: [] });
    const changed = connectors('an0ther-Secret!')[1]!;
    changed.config['batch.size'] = '2000';
    fake.requests.length = 0;
    const plan = await client.plan(changed);
    expect(plan.action).toBe('update');
    expect(plan.changes).toEqual([
      { key: 'batch.size', from: '500', to: '2000' },
      { key: 'connection.password', from: '********', to: '********' },
    ]);
    expect(JSON.stringify(plan)).not.toContain('an0ther');
    expect(fake.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('validates before writing and sends passwords byte for byte', async () => {
    const [source] = connectors();
    fake.requests.length = 0;
    await client.deploy(source!);
    const order = fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(order).toEqual([
      'GET /connector-plugins',
      'PUT /connector-plugins/io.debezium.connector.sqlserver.SqlServerConnector/config/validate',
      'GET /connectors/orders-source/config',
      'PUT /connectors/orders-source/config',
    ]);
    expect((await client.getConfig('orders-source'))?.['database.password']).toBe(NASTY);
  });

  // Any password Kafka Connect would not re-interpret reaches the worker byte for byte, and only in the
  // password properties.
  const hostile = fc.stringMatching(/^[A-Za-z0-9"'$\\{}`;:%@/ \u00e9\u20ac\u{1F600}-]{1,40}$/u);
  test.prop([hostile], { numRuns: 15 })(
    'round-trips hostile passwords through the REST API',
    async (password) => {
      fc.pre(!/\$\{[^}]*?:[^}]*?\}/.test(password));
      const [source, sink] = connectors(password);
      await client.deploy(source!);
      await client.deploy(sink!);
      expect((await client.getConfig('orders-source'))?.['database.password']).toBe(password);
      const stored = await client.getConfig('orders-sink');
      expect(stored?.['connection.password']).toBe(password);
      expect(stored?.['connection.url']).toBe('jdbc:postgresql://pg:5432/warehouse?currentSchema=public');
    },
  );

  it('refuses a deploy when the plugin is missing, naming what is installed', async () => {
    const [source] = connectors();
    fake.setPlugin(
      { class: 'io.debezium.connector.sqlserver.SqlServerConnector', type: 'source', version: '' },
      true,
    );
    try {
      const error = await rejection(client.deploy(source!));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(/SqlServerConnector is not installed.*installed: .*JdbcSinkConnector/);
      expect(fake.connector('orders-source')).toBeUndefined();
    } finally {
      fake.setPlugin({
        class: 'io.debezium.connector.sqlserver.SqlServerConnector',
        type: 'source',
        version: '3.1.2.Final',
        required: ['database.hostname', 'database.names', 'topic.prefix'],
        maxTasks: 1,
      });
    }
  });

  it('reports error_count and each field error, without echoing secrets', async () => {
    const [, sink] = connectors();
    fake.setValidationErrors('io.debezium.connector.jdbc.JdbcSinkConnector', {
      'connection.password': [`Authentication failed for password ${NASTY}`],
      'insert.mode': ['Invalid value bogus for configuration insert.mode'],
    });
    try {
      const error = await rejection(client.deploy(sink!));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('with 2 error(s)');
      expect(error.message).toContain('  insert.mode: Invalid value bogus');
      expect(error.message).toContain('  connection.password: Authentication failed for password ********');
      expect(error.message).not.toContain(NASTY);
      expect(fake.connector('orders-sink')).toBeUndefined();
    } finally {
      fake.setValidationErrors('io.debezium.connector.jdbc.JdbcSinkConnector', {});
    }
  });

  it('retries 409 rebalances, 5xx and dropped connections, then succeeds', async () => {
    const [, sink] = connectors();
    fake.failNext({ status: 409, path: '/connectors/orders-sink/config', method: 'PUT' });
    fake.failNext({ status: 500, path: '/connector-plugins' });
    fake.failNext({ status: 'reset', path: /validate$/ });
    expect((await client.deploy(sink!)).action).toBe('created');
    expect(fake.connector('orders-sink')?.config['tasks.max']).toBe('2');
  });

  it('gives up after the retry budget with a transient, explained error', async () => {
    fake.failNext({ status: 409, path: '/connectors', times: 10 });
    const error = await rejection(client.listConnectors());
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(error.transient).toBe(true);
    expect(error.message).toMatch(/rebalancing/);
    expect(fake.requests.filter((r) => r.path === '/connectors').length).toBeGreaterThanOrEqual(4);
    fake.clearFailures();
  });

  it('does not retry client errors', async () => {
    fake.requests.length = 0;
    const error = await rejection(client.status('missing'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('Connector missing not found');
    expect(fake.requests).toHaveLength(1);
  });

  it('reads status, pauses, resumes', async () => {
    const [, sink] = connectors();
    await client.deploy(sink!);
    const running = await client.status('orders-sink');
    expect(running.connector.state).toBe('RUNNING');
    expect(running.tasks.map((t) => t.state)).toEqual(['RUNNING', 'RUNNING']);
    await client.pause('orders-sink');
    expect((await client.status('orders-sink')).tasks.every((t) => t.state === 'PAUSED')).toBe(true);
    await client.resume('orders-sink');
    expect((await client.status('orders-sink')).connector.state).toBe('RUNNING');
  });

  it('restarts the connector and only its failed tasks', async () => {
    const [, sink] = connectors();
    await client.deploy(sink!);
    fake.failTask('orders-sink', 1, 'java.sql.SQLException: connection refused');
    const failed = await client.status('orders-sink');
    expect(failed.tasks[1]?.state).toBe('FAILED');
    expect(failed.tasks[1]?.trace).toContain('SQLException');
    const restarting = await client.restart('orders-sink');
    expect(restarting?.tasks.map((t) => t.state)).toEqual(['RUNNING', 'RESTARTING']);
    expect(fake.requests.at(-1)?.query).toEqual({ includeTasks: 'true', onlyFailed: 'true' });
    expect((await client.status('orders-sink')).tasks.every((t) => t.state === 'RUNNING')).toBe(true);
    expect(await client.restart('orders-sink', { includeTasks: false, onlyFailed: false })).toBeUndefined();
  });

  it('scales tasks.max, and refuses more tasks than SQL Server databases', async () => {
    const [source, sink] = connectors();
    await client.deploy(source!);
    await client.deploy(sink!);
    expect(await client.scale('orders-sink', 4)).toEqual({ name: 'orders-sink', action: 'updated' });
    expect((await client.status('orders-sink')).tasks).toHaveLength(4);
    expect(await client.scale('orders-sink', 4)).toEqual({ name: 'orders-sink', action: 'unchanged' });
    expect((await rejection(client.scale('orders-source', 2))).message).toMatch(/one task per database/);
    expect((await rejection(client.scale('nope', 2))).hint).toMatch(/Deploy it first/);
    expect((await rejection(client.scale('orders-sink', 0))).code).toBe('INVALID_ARGUMENT');
  });

  it('stops, reads and resets offsets only while stopped, then resumes (KIP-875)', async () => {
    const [source] = connectors();
    await client.deploy(source!);
    const committed = [
      { partition: { server: 'orders', database: 'shop' }, offset: { commit_lsn: '0000002a:00000120:0003' } },
    ];
    fake.setOffsets('orders-source', committed);
    expect((await client.offsets('orders-source')).offsets).toEqual(committed);
    const running = await rejection(client.resetOffsets('orders-source'));
    expect(running.code).toBe('INVALID_ARGUMENT');
    expect(running.hint).toMatch(/connectors stop/);
    await client.stop('orders-source');
    const stopped = await client.status('orders-source');
    expect(stopped.connector.state).toBe('STOPPED');
    expect(stopped.tasks).toEqual([]);
    await client.resetOffsets('orders-source');
    expect((await client.offsets('orders-source')).offsets).toEqual([]);
    await client.resume('orders-source');
    expect((await client.status('orders-source')).tasks.map((t) => t.state)).toEqual(['RUNNING']);
  });

  it('waits for a state, fails fast on a failed task, and times out with the states seen', async () => {
    const [, sink] = connectors();
    await client.deploy(sink!);
    expect((await client.waitFor('orders-sink', 'RUNNING')).tasks).toHaveLength(2);
    await client.stop('orders-sink');
    expect((await client.waitFor('orders-sink', 'STOPPED')).tasks).toEqual([]);
    await client.resume('orders-sink');
    fake.failTask('orders-sink', 1, 'org.postgresql.util.PSQLException: permission denied\n\tat x');
    const failed = await rejection(client.waitFor('orders-sink', 'RUNNING', { intervalMs: 1 }));
    expect(failed.code).toBe('UPSTREAM_ERROR');
    expect(failed.message).toContain('task 1: org.postgresql.util.PSQLException: permission denied');
    expect(failed.message).not.toContain('\tat x');
    await client.restart('orders-sink');
    await client.pause('orders-sink');
    const timeout = await rejection(
      client.waitFor('orders-sink', 'RUNNING', { timeoutMs: 20, intervalMs: 5 }),
    );
    expect(timeout.code).toBe('TIMEOUT');
    expect(timeout.message).toContain('now: PAUSED, task 0 PAUSED');
  });

  it('deletes, and reports whether there was anything to delete', async () => {
    const [, sink] = connectors();
    await client.deploy(sink!);
    expect(await client.delete('orders-sink')).toBe(true);
    expect(await client.delete('orders-sink')).toBe(false);
    expect(await client.listConnectors()).toEqual([]);
  });

  it('sends basic auth when configured and maps 401 to AUTH_FAILED', async () => {
    const authed = new KafkaConnectClient({ url: fake.url, username: 'ops', password: 'p:w"d' });
    await authed.listConnectors();
    fake.failNext({ status: 401, message: 'Unauthorized' });
    expect((await rejection(authed.listConnectors())).code).toBe('AUTH_FAILED');
  });

  it('explains an unreachable endpoint as CONNECTION_FAILED', async () => {
    const closed = await KafkaConnectFake.start();
    const url = closed.url;
    await closed.close();
    const offline = new KafkaConnectClient({
      url,
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
    });
    const error = await rejection(offline.listConnectors());
    expect(error.code).toBe('CONNECTION_FAILED');
    expect(error.message).toContain(url);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.transient).toBe(true);
  });

  it('refuses credentials in the URL', () => {
    expect(() => new KafkaConnectClient({ url: 'http://u:secret@connect:8083' })).toThrow(/not in the URL/);
  });
});
