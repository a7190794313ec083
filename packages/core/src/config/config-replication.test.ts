import { describe, expect, it } from 'vitest';
import { ConfigError, configJsonSchema, parseConfig } from './config-load.js';
import { embeddedPipelines } from './config-schema.js';

const base = `
connections:
  src: { url: postgres://h/app }
  dst: { url: postgres://h/warehouse }
pipelines:
`;

function problems(text: string): string[] {
  try {
    parseConfig(base + text, { source: 'c.yaml', env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n').map((l) => l.trim());
  }
  throw new Error('expected a ConfigError');
}

describe('replication options in the configuration', () => {
  it('parses rename, mask, deletes, targetSchema, hashSalt, batch and slot', () => {
    const config = parseConfig(
      `${base}  - name: crm
    source: src
    target: dst
    targetSchema: mirror
    hashSalt: \${SALT}
    slot: cdc_crm_v2
    batch: { maxRows: 20000, maxBytes: 33554432, maxDelayMs: 50 }
    tables:
      - public.orders
      - source: public.people
        rename: { email_address: email, id: person_id }
        mask: { email_address: hash, ssn: redact, phone: 'null' }
        deletes: soft
`,
      { env: { SALT: 'pepper' } },
    );
    const [p] = embeddedPipelines(config);
    expect(p).toMatchObject({
      targetSchema: 'mirror',
      hashSalt: 'pepper',
      slot: 'cdc_crm_v2',
      batch: { maxRows: 20000, maxBytes: 33554432, maxDelayMs: 50 },
    });
    expect(p!.tables[1]).toEqual({
      source: 'public.people',
      rename: { email_address: 'email', id: 'person_id' },
      mask: { email_address: 'hash', ssn: 'redact', phone: 'null' },
      deletes: 'soft',
    });
  });

  it('reports bad masks, delete modes, batch limits and slot names with their paths', () => {
    const lines = problems(`  - name: p
    source: src
    target: dst
    slot: Sales-EU
    batch: { maxRows: 0, maxDelayMs: 1.5, maxSize: 3 }
    tables:
      - source: public.people
        mask: { email: scramble }
        deletes: archive
`);
    const body = lines.join('\n');
    expect(body).toContain('pipelines[0].slot: a replication slot name is 1–63 lowercase letters');
    expect(body).toMatch(/pipelines\[0\]\.batch\.maxRows: .*>=\s?1/);
    expect(body).toMatch(/pipelines\[0\]\.batch\.maxDelayMs: .*int/);
    expect(body).toContain('pipelines[0].batch: unknown key "maxSize"');
    expect(body).toContain('pipelines[0].tables[0].mask.email: must be one of "hash", "redact", "null"');
    expect(body).toContain('pipelines[0].tables[0].deletes: must be one of "hard", "soft"');
  });

  it('rejects a slot name longer than 63 characters', () => {
    const body = problems(
      `  - { name: p, source: src, target: dst, tables: [t], slot: ${'a'.repeat(64)} }\n`,
    ).join('\n');
    expect(body).toContain('pipelines[0].slot: a replication slot name is 1–63');
  });

  it('rejects two columns renamed to one name, and names longer than PostgreSQL keeps', () => {
    const body = problems(`  - name: p
    source: src
    target: dst
    tables:
      - source: t
        rename: { a: x, b: x, c: ${'n'.repeat(64)} }
`).join('\n');
    expect(body).toContain('pipelines[0].tables[0].rename.b: "b" and "a" are both renamed to "x"');
    expect(body).toContain('pipelines[0].tables[0].rename.c: at most 63 bytes');
  });

  it('rejects two pipelines on one source sharing a slot, explicit or derived', () => {
    const body = problems(`  - { name: a, source: src, target: dst, tables: [t] }
  - { name: b, source: src, target: dst, tables: [u], slot: cdc_a }
  - { name: c, source: dst, target: src, tables: [u], slot: cdc_a }
`).join('\n');
    expect(body).toContain(
      'pipelines[1].slot: replication slot "cdc_a" is already used by pipeline "a" on source "src"; set a distinct slot',
    );
    expect(body).not.toContain('pipelines[2]');
  });

  it('describes the new keys in the JSON Schema for editors', () => {
    const text = JSON.stringify(configJsonSchema());
    for (const key of [
      '"rename"',
      '"mask"',
      '"deletes"',
      '"batch"',
      '"maxDelayMs"',
      '"slot"',
      '"hashSalt"',
    ]) {
      expect(text).toContain(key);
    }
    expect(text).toContain('^[a-z0-9_]{1,63}$');
  });
});
