import { describe, expect, it } from 'vitest';
import { REDACTED, SecretRedactor, isSensitiveKey, redactText, redactValue } from './log-redaction.js';

describe('redactText', () => {
  it.each([
    ['postgres://cdc:hunter2@db:5432/app', `postgres://cdc:${REDACTED}@db:5432/app`],
    ['connect mssql://sa:P@ss;w0rd@sql:1433 failed', `connect mssql://sa:${REDACTED}@sql:1433 failed`],
    ['https://vault:8200/v1/x?token=abc123&x=1', `https://vault:8200/v1/x?token=${REDACTED}&x=1`],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', `Authorization: Bearer ${REDACTED}`],
    ['token hvs.CAESIJk8P_ieg60yf9c92rl0 was used', `token ${REDACTED} was used`],
  ])('redacts %s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it('keeps ordinary text, URLs without passwords and user names', () => {
    const text = 'applied 500 changes to postgres://cdc@db/app (table dbo.orders)';
    expect(redactText(text)).toBe(text);
  });

  it('cuts registered secret values, including their JSON-escaped form', () => {
    const secrets = new SecretRedactor();
    secrets.add('s3cr"et-value');
    secrets.add('abc'); // too short to redact by value
    expect(secrets.size).toBe(2);
    expect(redactText('value s3cr"et-value here', secrets)).toBe(`value ${REDACTED} here`);
    expect(secrets.redact(JSON.stringify({ v: 's3cr"et-value' }))).toBe(`{"v":"${REDACTED}"}`);
    expect(redactText('abc stays', secrets)).toBe('abc stays');
  });
});

describe('redactValue', () => {
  it('redacts sensitive keys at any depth and URL passwords in strings', () => {
    const input = {
      password: 'hunter2',
      nested: {
        token: 'tkn',
        secretId: 'sid',
        'X-Vault-Token': 'hvs.x',
        list: [{ apiKey: 'k' }],
        table: 'dbo.t',
      },
      url: 'postgres://u:pw@h/db',
      count: 3,
      empty: { password: '' },
    };
    expect(redactValue(input)).toEqual({
      password: REDACTED,
      nested: {
        token: REDACTED,
        secretId: REDACTED,
        'X-Vault-Token': REDACTED,
        list: [{ apiKey: REDACTED }],
        table: 'dbo.t',
      },
      url: `postgres://u:${REDACTED}@h/db`,
      count: 3,
      empty: { password: '' },
    });
    expect(input.password).toBe('hunter2'); // not mutated
  });

  it('turns errors into plain redacted objects and survives cycles', () => {
    const error = Object.assign(new Error('cannot connect to postgres://u:pw@h/db'), {
      code: 'ECONNREFUSED',
      password: 'x',
    });
    const out = redactValue(error) as Record<string, unknown>;
    expect(out.message).toBe(`cannot connect to postgres://u:${REDACTED}@h/db`);
    expect(String(out.stack)).not.toContain(':pw@');
    expect(out.code).toBe('ECONNREFUSED');
    expect(out.password).toBe(REDACTED);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redactValue(cyclic)).toEqual({ a: 1, self: '[Circular]' });
  });

  it('knows sensitive keys without flagging ordinary ones', () => {
    for (const k of [
      'password',
      'PASSWORD',
      'db_password'.replace('db_', ''),
      'secret_id',
      'clientToken',
      'authorization',
      'jwt',
    ]) {
      expect(isSensitiveKey(k), k).toBe(true);
    }
    for (const k of ['table', 'pipeline', 'user', 'host', 'batch', 'rows'])
      expect(isSensitiveKey(k), k).toBe(false);
  });
});
