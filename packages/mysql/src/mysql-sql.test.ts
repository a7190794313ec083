import type { HashPlan, TableSchema } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import {
  canonicalFieldSql,
  keyHashesQuery,
  lookupQuery,
  quoteIdent,
  quoteTable,
  scanPageQuery,
  summarizeQuery,
} from './mysql-sql.js';

const table: TableSchema = {
  id: { schema: 'shop', name: 'or`ders' },
  columns: [
    { name: 'id', type: { kind: 'int64' }, nativeType: 'bigint(20)', nullable: false },
    {
      name: 'code `c`',
      type: { kind: 'text' },
      nativeType: 'varchar(20)',
      nullable: false,
      collation: 'utf8mb4_general_ci',
    },
    {
      name: 'amount',
      type: { kind: 'numeric', precision: 12, scale: 2 },
      nativeType: 'decimal(12,2)',
      nullable: true,
    },
    { name: 'f', type: { kind: 'float32' }, nativeType: 'float', nullable: true },
  ],
  primaryKey: ['id', 'code `c`'],
};

describe('identifiers', () => {
  it('quotes with backticks, doubled inside, and refuses names MariaDB cannot hold', () => {
    expect(quoteIdent('a`b "c"')).toBe('`a``b "c"`');
    expect(quoteTable(table.id)).toBe('`shop`.`or``ders`');
    expect(() => quoteIdent('')).toThrow(/1–64 characters/);
    expect(() => quoteIdent('x'.repeat(65))).toThrow(/1–64 characters/);
  });
});

describe('statements', () => {
  it('pages by keyset: native order for unordered scans, UTF-8 byte order for ordered ones; values are parameters', () => {
    const columns = table.columns;
    const page = scanPageQuery(table, { columns, limit: 10, ordered: false, after: [5, "x'y"] });
    expect(page.sql).toBe(
      'SELECT t.`id`, t.`code ``c```, t.`amount`, CAST(t.`f` + 0e0 AS CHAR)\nFROM `shop`.`or``ders` AS t\n' +
        'WHERE (t.`id` > CAST(? AS SIGNED) OR (t.`id` = CAST(? AS SIGNED) AND t.`code ``c``` > ?))\n' +
        'ORDER BY t.`id`, t.`code ``c```\nLIMIT ?',
    );
    expect(page.params).toEqual(['5', '5', "x'y", 10]);
    const ordered = scanPageQuery(table, {
      columns,
      limit: 10,
      ordered: true,
      range: { kind: 'key', upper: [9, 'z'] },
    });
    expect(ordered.sql).toContain('ORDER BY t.`id`, CAST(CONVERT(t.`code ``c``` USING utf8mb4) AS BINARY)');
    expect(ordered.sql).toContain(
      'CAST(CONVERT(t.`code ``c``` USING utf8mb4) AS BINARY) < CAST(? AS BINARY)',
    );
    expect(ordered.params).toEqual(['9', '9', 'z', 10]);
  });

  it('looks up composite keys with a row IN list', () => {
    const q = lookupQuery(
      table,
      [
        [1, 'a'],
        ['2', 'b'],
      ],
      table.columns.slice(0, 2),
    );
    expect(q.sql).toBe(
      'SELECT t.`id`, t.`code ``c```\nFROM `shop`.`or``ders` AS t\nWHERE (t.`id`, t.`code ``c```) IN ((CAST(? AS SIGNED), ?), (CAST(? AS SIGNED), ?))',
    );
    expect(q.params).toEqual(['1', 'a', '2', 'b']);
  });

  it('builds canonical text in SQL as binary strings: length-prefixed UTF-8 text, trimmed decimals, float bits', () => {
    expect(canonicalFieldSql(table.columns[1]!, undefined)).toBe(
      "CONCAT(LENGTH(t.`code ``c``` COLLATE utf8mb4_bin), ':', CAST(t.`code ``c``` COLLATE utf8mb4_bin AS BINARY))",
    );
    const latin1 = { ...table.columns[1]!, collation: 'latin1_swedish_ci' };
    expect(canonicalFieldSql(latin1, undefined)).toContain(
      'LENGTH(CONVERT(t.`code ``c``` USING utf8mb4) COLLATE utf8mb4_bin)',
    );
    expect(canonicalFieldSql(table.columns[2]!, undefined)).toContain(
      "TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST(t.`amount` AS CHAR)))",
    );
    expect(canonicalFieldSql(table.columns[3]!, undefined)).toContain('LPAD(LOWER(HEX(');
    expect(canonicalFieldSql(table.columns[3]!, undefined, 't', 'mariadb')).toContain(
      'LOWER(HEX(REVERSE(SUBSTRING(COLUMN_CREATE(1, t.`f` AS DOUBLE), -8))))',
    );
    expect(canonicalFieldSql(table.columns[1]!, { trimTrailingSpaces: true })).toContain(
      "TRIM(TRAILING ' ' FROM t.`code ``c``` COLLATE utf8mb4_bin)",
    );
  });

  it('sums two 32-bit digest halves per bucket, or digests a bucket in key order', () => {
    const plan: HashPlan = {
      key: ['id', 'code `c`'],
      columns: ['amount'],
      mode: 'canonical',
      bucketing: { kind: 'key-hash', modulus: 8 },
    };
    const sums = summarizeQuery(table, plan, { kind: 'key', lower: [1, 'a'] });
    expect(sums.sql).toMatch(
      /^SELECT s\.b, COUNT\(\*\), SUM\(CAST\(CONV\(SUBSTRING\(s\.h, 1, 8\), 16, 10\) AS UNSIGNED\)\), SUM\(CAST\(CONV\(SUBSTRING\(s\.h, 9, 8\)/,
    );
    expect(sums.sql).toContain("COALESCE(CAST(IF(t.`amount` = 0, '0'");
    expect(sums.sql).toContain("X'5C4E'");
    expect(sums.params).toEqual([8, '1', '1', 'a']);
    const single: TableSchema = { ...table, primaryKey: ['id'] };
    const ordered = summarizeQuery(single, {
      key: ['id'],
      columns: ['amount'],
      mode: 'canonical',
      bucketing: { kind: 'int-range', column: 'id', start: -5n, width: 100n },
      bucketDigest: 'ordered',
    });
    expect(ordered.sql).toContain("MD5(GROUP_CONCAT(s.r ORDER BY s.k SEPARATOR ''))");
    expect(ordered.sql).toContain('CAST(((CAST(t.`id` AS DECIMAL(21,0)) - (-5)) - MOD(MOD(');
    expect(ordered.params).toEqual([]);
    // Within a bounded unit no key can overflow BIGINT: integer arithmetic instead of DECIMAL.
    const unit = summarizeQuery(
      single,
      { ...plan, key: ['id'], bucketing: { kind: 'int-range', column: 'id', start: 0n, width: 100n } },
      { kind: 'key', lower: ['1000'], upper: ['2000'] },
    );
    expect(unit.sql).toContain('CAST(((t.`id` - (0)) - MOD(MOD((t.`id` - (0)), (100))');
    expect(unit.params).toEqual(['1000', '2000']);
    expect(() => summarizeQuery(table, { ...plan, bucketDigest: 'ordered' })).toThrow(/int-range/);
  });

  it('drills into int-range buckets by their key bounds, and into key-hash buckets by the bucket expression', () => {
    const single: TableSchema = { ...table, primaryKey: ['id'] };
    const plan: HashPlan = {
      key: ['id'],
      columns: ['amount'],
      mode: 'canonical',
      bucketing: { kind: 'int-range', column: 'id', start: 0n, width: 10n },
    };
    const q = keyHashesQuery(single, plan, [0, 3])!;
    expect(q.sql).toContain(
      '(t.`id` BETWEEN CAST(? AS DECIMAL(21,0)) AND CAST(? AS DECIMAL(21,0)) OR t.`id` BETWEEN',
    );
    expect(q.params).toEqual(['0', '9', '30', '39']);
    expect(keyHashesQuery(single, plan, [])).toBeUndefined();
    const hashed = keyHashesQuery(single, { ...plan, bucketing: { kind: 'key-hash', modulus: 4 } }, [1, 2])!;
    expect(hashed.sql).toMatch(/% \? IN \(\?, \?\)$/);
    expect(hashed.params).toEqual([4, 1, 2]);
  });
});
