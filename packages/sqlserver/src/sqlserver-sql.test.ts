import { describe, expect, it } from 'vitest';
import type { Column, HashPlan, TableSchema } from '@cdc/core';
import {
  canonicalFieldSql,
  columnsQuery,
  countQuery,
  estimateCountQuery,
  keyHashesQuery,
  keysQuery,
  lookupQuery,
  nString,
  paramCastSql,
  pushdownKindsFor,
  quoteIdent,
  quoteTable,
  scanPageQuery,
  selectExpression,
  splitBoundariesQuery,
  summarizeQuery,
  tupleCompareSql,
} from './sqlserver-sql.js';

const flavour = { supportsUtf8Collation: true, supportsDatediffBig: true };

const c = (name: string, type: Column['type'], nativeType: string, extra: Partial<Column> = {}): Column => ({
  name,
  type,
  nativeType,
  nullable: true,
  ...extra,
});

const orders: TableSchema = {
  id: { schema: 'sales', name: 'order]s' },
  primaryKey: ['id'],
  columns: [
    c('id', { kind: 'int64' }, 'bigint', { nullable: false }),
    c('amount', { kind: 'numeric', precision: 12, scale: 2 }, 'decimal(12,2)'),
    c('fee', { kind: 'numeric', precision: 19, scale: 4 }, 'money'),
    c('note', { kind: 'text' }, 'varchar(100)', { collation: 'SQL_Latin1_General_CP1_CI_AS' }),
    c('at', { kind: 'timestamptz', precision: 7 }, 'datetimeoffset(7)'),
  ],
};

const composite: TableSchema = {
  id: { name: 'lines' },
  primaryKey: ['order_id', 'code'],
  columns: [
    c('order_id', { kind: 'uuid' }, 'uniqueidentifier', { nullable: false }),
    c('code', { kind: 'text' }, 'nvarchar(20)', { nullable: false }),
    c('qty', { kind: 'int32' }, 'int'),
  ],
};

describe('quoting', () => {
  it('brackets identifiers and doubles ]', () => {
    expect(quoteIdent('a]b')).toBe('[a]]b]');
    expect(quoteTable({ catalog: 'db', schema: 's', name: 't' })).toBe('[db].[s].[t]');
    expect(quoteTable({ name: 't' })).toBe('[dbo].[t]');
    expect(nString("O'Brien")).toBe("N'O''Brien'");
    expect(() => quoteIdent('')).toThrow(/identifier/);
  });
});

describe('select and parameter expressions', () => {
  it('selects decimals and money as text, CLR types as varbinary', () => {
    expect(orders.columns.map((col) => selectExpression(col))).toMatchInlineSnapshot(`
      [
        "src.[id] AS [id]",
        "CONVERT(varchar(50), src.[amount]) AS [amount]",
        "CONVERT(varchar(50), CAST(src.[fee] AS decimal(19,4))) AS [fee]",
        "src.[note] AS [note]",
        "src.[at] AS [at]",
      ]
    `);
    expect(selectExpression(c('h', { kind: 'bytes' }, 'hierarchyid'))).toMatchInlineSnapshot(
      `"CAST(src.[h] AS varbinary(max)) AS [h]"`,
    );
    expect(selectExpression(c('x', { kind: 'text' }, 'xml'))).toMatchInlineSnapshot(
      `"CAST(src.[x] AS nvarchar(max)) AS [x]"`,
    );
  });
  it('casts parameters back to the exact column type', () => {
    expect(orders.columns.map((col) => paramCastSql(col, 'p'))).toMatchInlineSnapshot(`
      [
        "CAST(@p AS bigint)",
        "CAST(@p AS decimal(12,2))",
        "CAST(@p AS money)",
        "CAST(@p COLLATE SQL_Latin1_General_CP1_CI_AS AS varchar(max))",
        "CAST(CAST(@p AS datetimeoffset(7)) AS datetimeoffset(7))",
      ]
    `);
    expect(paramCastSql(c('d', { kind: 'timestamp', precision: 3 }, 'datetime'), 'p')).toMatchInlineSnapshot(
      `"CAST(CAST(@p AS datetime2(7)) AS datetime)"`,
    );
    expect(paramCastSql(composite.columns[1] as Column, 'p')).toBe('@p');
  });
  it('expands tuple comparisons for keyset paging', () => {
    expect(tupleCompareSql(composite.columns.slice(0, 2), ['a0', 'a1'], '>', 'native')).toMatchInlineSnapshot(
      `"(src.[order_id] > CAST(@a0 AS uniqueidentifier) OR (src.[order_id] = CAST(@a0 AS uniqueidentifier) AND src.[code] > @a1))"`,
    );
    expect(
      tupleCompareSql(composite.columns.slice(0, 2), ['a0', 'a1'], '>=', 'canonical'),
    ).toMatchInlineSnapshot(
      `"(CONVERT(char(36), src.[order_id]) COLLATE Latin1_General_100_BIN2 > CONVERT(char(36), CAST(@a0 AS uniqueidentifier)) COLLATE Latin1_General_100_BIN2 OR (CONVERT(char(36), src.[order_id]) COLLATE Latin1_General_100_BIN2 = CONVERT(char(36), CAST(@a0 AS uniqueidentifier)) COLLATE Latin1_General_100_BIN2 AND src.[code] COLLATE Latin1_General_100_BIN2 >= CAST(@a1 AS nvarchar(4000)) COLLATE Latin1_General_100_BIN2))"`,
    );
  });
});

describe('scan statements', () => {
  it('count, with and without a key range', () => {
    expect(countQuery(orders, undefined, flavour).sql).toMatchInlineSnapshot(`
      "SELECT COUNT_BIG(*) AS n
      FROM [sales].[order]]s] AS src"
    `);
    const q = countQuery(orders, { kind: 'key', lower: [10n], upper: [20n] }, flavour);
    expect(q.sql).toMatchInlineSnapshot(`
      "SELECT COUNT_BIG(*) AS n
      FROM [sales].[order]]s] AS src
      WHERE src.[id] >= CAST(@lo0 AS bigint)
        AND src.[id] < CAST(@hi0 AS bigint)"
    `);
    expect(q.params).toEqual({
      lo0: { type: 'NVarChar', value: '10' },
      hi0: { type: 'NVarChar', value: '20' },
    });
  });
  it('count within a hash range', () => {
    expect(countQuery(composite, { kind: 'hash', modulus: 4, remainder: 1 }, flavour).sql)
      .toMatchInlineSnapshot(`
      "SELECT COUNT_BIG(*) AS n
      FROM [dbo].[lines] AS src
      WHERE CAST(0x00000000 + SUBSTRING(HASHBYTES('MD5', ISNULL(CAST(LOWER(CONVERT(char(36), src.[order_id])) AS varbinary(max)), 0x5C4E) + 0x7C + ISNULL(CASE WHEN src.[code] IS NULL THEN NULL ELSE CAST(CONVERT(varchar(20), DATALENGTH(CAST(CAST(src.[code] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2_UTF8 AS varchar(max)))) + ':' AS varbinary(max)) + CAST(CAST(CAST(src.[code] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2_UTF8 AS varchar(max)) AS varbinary(max)) END, 0x5C4E)), 1, 4) AS bigint) % @range_modulus = @range_remainder"
    `);
  });
  it('estimate from sys.partitions', () => {
    const q = estimateCountQuery(orders);
    expect(q.sql).toMatchInlineSnapshot(`
      "SELECT CAST(ISNULL(SUM(p.rows), 0) AS bigint) AS n
      FROM sys.partitions AS p
      WHERE p.object_id = OBJECT_ID(@table) AND p.index_id IN (0, 1)"
    `);
    expect(q.params.table?.value).toBe('[sales].[order]]s]');
  });
  it('split boundaries in canonical order', () => {
    expect(splitBoundariesQuery(composite, 1000).sql).toMatchInlineSnapshot(`
      "WITH k AS (
        SELECT src.[order_id] AS [order_id], src.[code] AS [code], ROW_NUMBER() OVER (ORDER BY CONVERT(char(36), src.[order_id]) COLLATE Latin1_General_100_BIN2, src.[code] COLLATE Latin1_General_100_BIN2) AS rn
        FROM [dbo].[lines] AS src
      )
      SELECT k.[order_id], k.[code]
      FROM k
      WHERE k.rn % @step = 1 AND k.rn > 1
      ORDER BY k.rn"
    `);
  });
  it('keyset page after a composite key, native and canonical order', () => {
    const native = scanPageQuery(
      composite,
      {
        columns: composite.columns,
        after: ['6f9619ff-8b86-d011-b42d-00c04fc964ff', 'A'],
        limit: 500,
        ordered: false,
      },
      flavour,
    );
    expect(native.sql).toMatchInlineSnapshot(`
      "SELECT TOP (@limit) src.[order_id] AS [order_id], src.[code] AS [code], src.[qty] AS [qty]
      FROM [dbo].[lines] AS src
      WHERE (src.[order_id] > CAST(@after0 AS uniqueidentifier) OR (src.[order_id] = CAST(@after0 AS uniqueidentifier) AND src.[code] > @after1))
      ORDER BY src.[order_id], src.[code]"
    `);
    expect(native.params.after0).toEqual({ type: 'NVarChar', value: '6f9619ff-8b86-d011-b42d-00c04fc964ff' });
    const ordered = scanPageQuery(
      composite,
      { columns: composite.columns, limit: 500, ordered: true },
      flavour,
    );
    expect(ordered.sql).toMatchInlineSnapshot(`
      "SELECT TOP (@limit) src.[order_id] AS [order_id], src.[code] AS [code], src.[qty] AS [qty]
      FROM [dbo].[lines] AS src
      ORDER BY CONVERT(char(36), src.[order_id]) COLLATE Latin1_General_100_BIN2, src.[code] COLLATE Latin1_General_100_BIN2"
    `);
  });
  it('batched lookup through a VALUES join', () => {
    const q = lookupQuery(
      composite,
      [
        ['6f9619ff-8b86-d011-b42d-00c04fc964ff', 'A'],
        ['00000000-0000-0000-0000-000000000001', 'B'],
      ],
      composite.columns,
    );
    expect(q.sql).toMatchInlineSnapshot(`
      "SELECT src.[order_id] AS [order_id], src.[code] AS [code], src.[qty] AS [qty]
      FROM [dbo].[lines] AS src
      INNER JOIN (VALUES (CAST(@k0_0 AS uniqueidentifier), @k0_1), (CAST(@k1_0 AS uniqueidentifier), @k1_1)) AS k([order_id], [code])
        ON src.[order_id] = k.[order_id] AND src.[code] = k.[code]"
    `);
    expect(Object.keys(q.params)).toEqual(['k0_0', 'k0_1', 'k1_0', 'k1_1']);
    expect(() => lookupQuery(composite, [['x']], composite.columns)).toThrow(/needs 2 values, got 1/);
  });
});

describe('canonical text in SQL', () => {
  it.each([
    ['bit', c('b', { kind: 'bool' }, 'bit')],
    ['int', c('i', { kind: 'int32' }, 'int')],
    ['decimal(12,2)', c('n', { kind: 'numeric', precision: 12, scale: 2 }, 'decimal(12,2)')],
    ['decimal(10,0)', c('n', { kind: 'numeric', precision: 10, scale: 0 }, 'decimal(10,0)')],
    ['money', c('m', { kind: 'numeric', precision: 19, scale: 4 }, 'money')],
    ['float', c('f', { kind: 'float64' }, 'float')],
    ['real', c('r', { kind: 'float32' }, 'real')],
    ['varbinary', c('v', { kind: 'bytes' }, 'varbinary(16)')],
    ['uniqueidentifier', c('u', { kind: 'uuid' }, 'uniqueidentifier')],
    ['date', c('d', { kind: 'date' }, 'date')],
    ['time(7)', c('t', { kind: 'time', precision: 7 }, 'time(7)')],
    ['datetime', c('t', { kind: 'timestamp', precision: 3 }, 'datetime')],
    ['datetime2(7)', c('t', { kind: 'timestamp', precision: 7 }, 'datetime2(7)')],
    ['datetimeoffset(3)', c('t', { kind: 'timestamptz', precision: 3 }, 'datetimeoffset(3)')],
    ['nvarchar', c('s', { kind: 'text' }, 'nvarchar(50)')],
  ])('%s', (_name, column) => {
    expect(canonicalFieldSql(column, undefined, flavour)).toMatchSnapshot();
  });
  it('applies comparison policies: precision, trailing spaces, case', () => {
    const text = c('s', { kind: 'text' }, 'char(10)');
    expect(
      canonicalFieldSql(text, { trimTrailingSpaces: true, caseInsensitive: true }, flavour),
    ).toMatchInlineSnapshot(
      `"CASE WHEN src.[s] IS NULL THEN NULL ELSE CAST(CONVERT(varchar(20), DATALENGTH(CAST(LOWER(RTRIM(CAST(src.[s] AS nvarchar(max)))) COLLATE Latin1_General_100_BIN2_UTF8 AS varchar(max)))) + ':' AS varbinary(max)) + CAST(CAST(LOWER(RTRIM(CAST(src.[s] AS nvarchar(max)))) COLLATE Latin1_General_100_BIN2_UTF8 AS varchar(max)) AS varbinary(max)) END"`,
    );
    const ts = c('t', { kind: 'timestamp', precision: 7 }, 'datetime2(7)');
    expect(canonicalFieldSql(ts, { precision: 0 }, flavour)).toContain('% 1000000');
  });
  it('refuses what this server cannot reproduce', () => {
    const text = c('s', { kind: 'text' }, 'nvarchar(50)');
    expect(() =>
      canonicalFieldSql(text, undefined, { supportsUtf8Collation: false, supportsDatediffBig: true }),
    ).toThrow(/2019/);
    expect(() => canonicalFieldSql(c('j', { kind: 'json' }, 'json'), undefined, flavour)).toThrow(
      /json cannot be canonicalized/,
    );
    expect(
      pushdownKindsFor({ supportsUtf8Collation: false, supportsDatediffBig: true, hashbytesUnbounded: true }),
    ).not.toContain('text');
    expect(
      pushdownKindsFor({ supportsUtf8Collation: true, supportsDatediffBig: false, hashbytesUnbounded: true }),
    ).toEqual([]);
  });
});

describe('hash pushdown statements', () => {
  const plan: HashPlan = {
    key: ['id'],
    columns: ['amount', 'note'],
    mode: 'canonical',
    bucketing: { kind: 'key-hash', modulus: 256 },
  };
  it('summarize by key-hash buckets', () => {
    const q = summarizeQuery(orders, plan, undefined, flavour);
    expect(q.sql).toMatchSnapshot();
    expect(q.params.modulus).toEqual({ type: 'BigInt', value: 256 });
  });
  it('summarize by int-range buckets within a key range', () => {
    const q = summarizeQuery(
      orders,
      { ...plan, bucketing: { kind: 'int-range', column: 'id', start: -5n, width: 1000n } },
      { kind: 'key', lower: [0n] },
      flavour,
    );
    expect(q.sql).toMatchSnapshot();
    expect(q.params.bucket_start?.value).toBe('-5');
  });
  it('key hashes of selected buckets', () => {
    const q = keyHashesQuery(orders, plan, [3, 17], undefined, flavour);
    expect(q.sql).toMatchSnapshot();
    expect(() => keyHashesQuery(orders, plan, [], undefined, flavour)).toThrow(/1–2000/);
    // Key-hash buckets are never negative; int-range buckets are below `start`.
    expect(() => keyHashesQuery(orders, plan, [-1], undefined, flavour)).toThrow(/Bad bucket/);
    const below = keyHashesQuery(
      orders,
      { ...plan, bucketing: { kind: 'int-range', column: 'id', start: 10n, width: 5n } },
      [-2, 0],
      undefined,
      flavour,
    );
    expect(below.params.b0?.value).toBe(-2);
    expect(() =>
      summarizeQuery(orders, { ...plan, bucketing: { kind: 'token', ends: [1n] } }, undefined, flavour),
    ).toThrow(/client-side/);
  });
});

describe('introspection statements', () => {
  it('columns and keys, also in another database', () => {
    expect(columnsQuery({ schema: 'dbo', name: 't' }).sql).toMatchInlineSnapshot(`
      "SELECT c.name, CASE WHEN ut.is_assembly_type = 1 THEN ut.name ELSE bt.name END AS typeName,
        CASE WHEN ut.is_user_defined = 1 OR ut.user_type_id <> ut.system_type_id THEN ut.name END AS userTypeName,
        CAST(c.max_length AS int) AS maxLength, CAST(c.precision AS int) AS precision, CAST(c.scale AS int) AS scale,
        c.collation_name AS collation, c.is_nullable AS nullable, c.is_computed AS computed,
        CASE WHEN o.type IN ('U', 'V') THEN 1 ELSE 0 END AS found
      FROM sys.objects AS o
      INNER JOIN sys.columns AS c ON c.object_id = o.object_id
      INNER JOIN sys.types AS ut ON ut.user_type_id = c.user_type_id
      LEFT JOIN sys.types AS bt ON bt.user_type_id = c.system_type_id
      WHERE o.object_id = OBJECT_ID(@table) AND o.type IN ('U', 'V')
      ORDER BY c.column_id"
    `);
    const other = keysQuery({ catalog: 'erp', schema: 'dbo', name: 't' });
    expect(other.sql).toMatchInlineSnapshot(`
      "SELECT i.index_id AS indexId, i.is_primary_key AS isPrimaryKey, c.name
      FROM [erp].sys.indexes AS i
      INNER JOIN [erp].sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
      INNER JOIN [erp].sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
      WHERE i.object_id = OBJECT_ID(@table) AND i.is_unique = 1 AND i.has_filter = 0 AND ic.key_ordinal > 0
      ORDER BY i.is_primary_key DESC, i.index_id, ic.key_ordinal"
    `);
    expect(other.params.table?.value).toBe('[erp].[dbo].[t]');
  });
});
