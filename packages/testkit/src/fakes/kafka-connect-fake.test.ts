import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConnectFake } from './kafka-connect-fake.js';

let fake: KafkaConnectFake;
beforeAll(async () => {
  fake = await KafkaConnectFake.start();
});
afterAll(async () => {
  await fake.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const sink = {
  'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
  'connection.url': 'jdbc:postgresql://pg:5432/app',
  'tasks.max': '2',
};

describe('KafkaConnectFake (fake of the documented Kafka Connect REST API)', () => {
  it('creates with 201, updates with 200, and reports tasks', async () => {
    expect((await call('PUT', '/connectors/a/config', sink)).status).toBe(201);
    const again = await call('PUT', '/connectors/a/config', { ...sink, 'tasks.max': '3' });
    expect(again.status).toBe(200);
    expect((again.body as { tasks: unknown[] }).tasks).toHaveLength(3);
    expect((await call('GET', '/connectors')).body).toContain('a');
  });

  it('rejects a name that differs from the URL, as Connect does', async () => {
    const res = await call('PUT', '/connectors/b/config', { ...sink, name: 'other' });
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toMatch(/doesn't match connector name/);
  });

  it('answers 404 with an error body for unknown connectors', async () => {
    const res = await call('GET', '/connectors/nope/status');
    expect(res).toEqual({ status: 404, body: { error_code: 404, message: 'Connector nope not found' } });
  });

  it('validates required properties and injected field errors', async () => {
    const cls = 'io.debezium.connector.jdbc.JdbcSinkConnector';
    const missing = await call('PUT', `/connector-plugins/${cls}/config/validate`, {
      'connector.class': cls,
    });
    expect((missing.body as { error_count: number }).error_count).toBe(1);
    fake.setValidationErrors(cls, { 'insert.mode': ['Value must be one of insert, upsert, update'] });
    const injected = await call('PUT', `/connector-plugins/${cls}/config/validate`, sink);
    expect((injected.body as { error_count: number }).error_count).toBe(1);
    fake.setValidationErrors(cls, {});
  });

  it('pauses, resumes and restarts only failed instances (KIP-745)', async () => {
    await call('PUT', '/connectors/r/config', sink);
    expect((await call('PUT', '/connectors/r/pause')).status).toBe(202);
    expect(fake.connector('r')?.tasks.every((t) => t.state === 'PAUSED')).toBe(true);
    await call('PUT', '/connectors/r/resume');
    fake.failTask('r', 1);
    const res = await call('POST', '/connectors/r/restart?includeTasks=true&onlyFailed=true');
    expect(res.status).toBe(202);
    const body = res.body as { connector: { state: string }; tasks: { id: number; state: string }[] };
    expect(body.connector.state).toBe('RUNNING');
    expect(body.tasks.map((t) => t.state)).toEqual(['RUNNING', 'RESTARTING']);
    expect((await call('POST', '/connectors/r/restart')).status).toBe(204);
  });

  it('stops, and lets offsets be reset only while stopped (KIP-875)', async () => {
    await call('PUT', '/connectors/s/config', sink);
    fake.setOffsets('s', [{ partition: { p: 1 }, offset: { o: 2 } }]);
    expect((await call('GET', '/connectors/s/offsets')).body).toEqual({
      offsets: [{ partition: { p: 1 }, offset: { o: 2 } }],
    });
    expect((await call('DELETE', '/connectors/s/offsets')).status).toBe(400);
    expect((await call('PUT', '/connectors/s/stop')).status).toBe(204);
    expect((await call('GET', '/connectors/s/status')).body).toMatchObject({
      connector: { state: 'STOPPED' },
      tasks: [],
    });
    expect((await call('DELETE', '/connectors/s/offsets')).status).toBe(200);
    await call('PUT', '/connectors/s/resume');
    expect(fake.connector('s')?.tasks).toHaveLength(2);
    expect(fake.connector('s')?.offsets).toEqual([]);
  });

  it('injects failures for matching requests only, then recovers', async () => {
    fake.failNext({ status: 409, method: 'DELETE', times: 2 });
    expect((await call('GET', '/connectors')).status).toBe(200);
    expect((await call('DELETE', '/connectors/r')).status).toBe(409);
    expect((await call('DELETE', '/connectors/r')).status).toBe(409);
    expect((await call('DELETE', '/connectors/r')).status).toBe(204);
    fake.failNext({ status: 'reset' });
    await expect(call('GET', '/')).rejects.toThrow();
  });
});
