import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SecretRedactor } from './log-redaction.js';
import { createLogger, currentCorrelation, runWithCorrelation, withCorrelation } from './logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const text = (): string => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with level labels and bindings', () => {
    const out = capture();
    const log = createLogger({
      level: 'debug',
      pretty: false,
      destination: out.stream,
      bindings: { component: 'worker' },
    });
    log.debug({ rows: 3 }, 'hello');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'debug', msg: 'hello', rows: 3, component: 'worker' });
    expect(typeof line?.time).toBe('string');
  });

  it('redacts a URL password in the message and in fields, and password/token keys', () => {
    const out = capture();
    const log = createLogger({ pretty: false, destination: out.stream });
    log.info('connecting to postgres://cdc:hunter2@db:5432/app');
    log.info(
      {
        url: 'mssql://sa:Sup3rS3cret!@sql:1433',
        password: 'p4ss',
        token: 'hvs.abcdefghijkl',
        nested: { auth: { secretId: 'sid-1' } },
      },
      'config',
    );
    log.error(new Error('login failed for postgres://cdc:hunter2@db/app'), 'boom');
    log.info('interpolated %s', 'https://u:pw123@host/x');
    const text = out.text();
    for (const secret of ['hunter2', 'Sup3rS3cret!', 'p4ss', 'hvs.abcdefghijkl', 'sid-1', 'pw123']) {
      expect(text, secret).not.toContain(secret);
    }
    const lines = out.lines();
    expect(lines[0]?.msg).toBe('connecting to postgres://cdc:[REDACTED]@db:5432/app');
    expect(lines[1]).toMatchObject({
      url: 'mssql://sa:[REDACTED]@sql:1433',
      password: '[REDACTED]',
      token: '[REDACTED]',
    });
    expect((lines[2]?.err as { message: string }).message).toBe(
      'login failed for postgres://cdc:[REDACTED]@db/app',
    );
  });

  it('redacts registered secret values wherever they appear, also in child bindings', () => {
    const out = capture();
    const secrets = new SecretRedactor();
    secrets.add('resolved-vault-secret');
    const log = createLogger({ pretty: false, destination: out.stream, secrets });
    log.warn({ note: 'value=resolved-vault-secret' }, 'got resolved-vault-secret');
    log.child({ dsn: 'x resolved-vault-secret' }).info('child');
    expect(out.text()).not.toContain('resolved-vault-secret');
    expect(out.text()).toContain('[REDACTED]');
  });

  it('adds correlation ids from bindings, children and the async context', async () => {
    const out = capture();
    const log = createLogger({ pretty: false, destination: out.stream, bindings: { run: 'r-1' } });
    withCorrelation(log, { pipeline: 'orders', table: 'dbo.orders' }).info('child');
    await runWithCorrelation({ pipeline: 'events', batch: 7 }, async () => {
      await Promise.resolve();
      runWithCorrelation({ table: 'app.events' }, () => {
        expect(currentCorrelation()).toEqual({ pipeline: 'events', batch: 7, table: 'app.events' });
        log.info('in context');
      });
    });
    log.info('outside');
    const [child, inContext, outside] = out.lines();
    expect(child).toMatchObject({ run: 'r-1', pipeline: 'orders', table: 'dbo.orders' });
    expect(inContext).toMatchObject({ run: 'r-1', pipeline: 'events', table: 'app.events', batch: 7 });
    expect(outside?.pipeline).toBeUndefined();
  });

  it('pretty output is human-readable and redacted too', () => {
    const out = capture();
    const log = createLogger({ pretty: true, destination: out.stream });
    log.info({ password: 'hunter2' }, 'connected to postgres://u:hunter2@h/db');
    const text = out.text();
    expect(text).toContain('INFO');
    expect(text).toContain('connected to postgres://u:[REDACTED]@h/db');
    expect(text).not.toContain('hunter2');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('honours the level', () => {
    const out = capture();
    const log = createLogger({ level: 'warn', pretty: false, destination: out.stream });
    log.info('hidden');
    log.warn('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
  });
});
