import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../schema.js';
import { compileTransform } from './transforms.js';

const people: TableSchema = {
  id: { schema: 'crm', name: 'people' },
  columns: [
    { name: 'id', type: { kind: 'int32' }, nativeType: 'integer', nullable: false },
    { name: 'email', type: { kind: 'text' }, nativeType: 'varchar(200)', nullable: false, length: 200 },
    { name: 'ssn', type: { kind: 'text' }, nativeType: 'text', nullable: false },
    { name: 'phone', type: { kind: 'text' }, nativeType: 'text', nullable: true },
    { name: 'notes', type: { kind: 'text' }, nativeType: 'text', nullable: true },
  ],
  primaryKey: ['id'],
};
const row = { id: 7, email: 'a@b.c', ssn: '123', phone: '555', notes: 'n' };

describe('compileTransform', () => {
  it('keeps the source shape and names by default', async () => {
    const t = await compileTransform(people);
    expect(t.mapping.target).toEqual({ schema: 'crm', name: 'people' });
    expect(t.mapping.deletes).toBe('hard');
    expect(t.row(row)).toEqual(row);
  });

  it('includes, excludes and renames columns; keys always travel', async () => {
    const t = await compileTransform(people, {
      includeColumns: ['email', 'notes'],
      excludeColumns: ['notes'],
      renameColumns: { email: 'mail', id: 'person_id' },
    });
    expect(t.mapping.source.columns.map((c) => c.name)).toEqual(['person_id', 'mail']);
    expect(t.mapping.source.primaryKey).toEqual(['person_id']);
    expect(t.row(row)).toEqual({ person_id: 7, mail: 'a@b.c' });
    expect(t.event({ op: 'delete', table: people.id, key: { id: 7 } })).toEqual({
      op: 'delete',
      table: people.id,
      key: { person_id: 7 },
    });
  });

  it('masks with a salted SHA-256, a redaction constant or NULL, adjusting target types', async () => {
    const t = await compileTransform(people, {
      mask: { email: 'hash', ssn: 'redact', phone: 'null' },
      hashSalt: 'pepper',
    });
    const out = t.row(row);
    expect(out.email).toBe(createHash('sha256').update('peppera@b.c').digest('hex'));
    expect(out.ssn).toBe('***');
    expect(out.phone).toBeNull();
    expect(t.row({ ...row, ssn: null }).ssn).toBeNull();
    const email = t.mapping.source.columns.find((c) => c.name === 'email')!;
    expect(email).toMatchObject({ type: { kind: 'text' }, nativeType: 'text' });
    expect(email.length).toBeUndefined();
  });

  it('names the target schema/table and the delete mode', async () => {
    const t = await compileTransform(people, { deletes: 'soft' }, 'mirror');
    expect(t.mapping).toMatchObject({ target: { schema: 'mirror', name: 'people' }, deletes: 'soft' });
    const u = await compileTransform(people, { target: { schema: 'x', name: 'y' } }, 'mirror');
    expect(u.mapping.target).toEqual({ schema: 'x', name: 'y' });
  });

  it('rejects options that cannot work, naming table, column and fix', async () => {
    await expect(compileTransform(people, { excludeColumns: ['nope'] })).rejects.toThrow(
      'table crm.people: excludeColumns names unknown column "nope"',
    );
    await expect(compileTransform(people, { excludeColumns: ['id'] })).rejects.toThrow(
      /key column "id" cannot be excluded/,
    );
    await expect(compileTransform(people, { mask: { id: 'redact' } })).rejects.toThrow(
      /can only be masked with "hash"/,
    );
    await expect(compileTransform(people, { renameColumns: { email: 'ssn' } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
