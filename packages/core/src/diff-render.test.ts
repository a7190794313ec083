import { describe, expect, it } from 'vitest';
import { DIFF_RESULT_VERSION, type DiffResult } from './diff-types.js';
import { renderDiffJson, renderDiffMarkdown, renderDiffText, toJsonSafe } from './diff-render.js';
import { planRepair } from './repair-plan.js';
import { severityOf } from './severity.js';

const result: DiffResult = {
  version: DIFF_RESULT_VERSION,
  source: { schema: 'dbo', name: 'Orders' },
  target: { schema: 'public', name: 'orders' },
  status: 'differences',
  algorithm: 'hash',
  hashing: 'canonical-pushdown',
  counts: { source: 1_000_000n, target: 1_000_000n },
  summary: { missing: 1, extra: 1, mismatched: 1 },
  keyColumns: ['id'],
  comparedColumns: ['blob', 'note'],
  differences: [
    {
      kind: 'missing',
      key: { id: 1n },
      columns: ['blob', 'note'],
      source: { id: 1n, blob: new Uint8Array([1, 255]), note: 'a|b' },
    },
    {
      kind: 'mismatched',
      key: { id: 2n },
      columns: ['note'],
      source: { id: 2n, blob: null, note: 'new' },
      target: { id: 2n, blob: null, note: 'old' },
    },
    { kind: 'extra', key: { id: 3n }, columns: ['blob', 'note'], target: { id: 3n, blob: null, note: null } },
  ],
  truncated: false,
  stats: {
    source: { rowsRead: 10, bytesRead: 100, queries: 3 },
    target: { rowsRead: 11, bytesRead: 110, queries: 3 },
    durationMs: 12,
  },
  notes: [],
};

describe('renderers', () => {
  it('JSON output is JSON-safe: bigint as string, bytes as hex, with severity', () => {
    const parsed = JSON.parse(renderDiffJson(result)) as Record<string, unknown>;
    expect(parsed.counts).toEqual({ source: '1000000', target: '1000000' });
    expect((parsed.differences as { source?: { blob: string } }[])[0]?.source?.blob).toBe('\\x01ff');
    expect(parsed.severity).toBe('notice');
    expect(parsed.version).toBe(1);
    expect(toJsonSafe({ d: new Date(0), n: NaN, m: new Map([[1, 2]]), s: new Set([1n]) })).toEqual({
      d: '1970-01-01T00:00:00.000Z',
      n: 'NaN',
      m: [[1, 2]],
      s: ['1'],
    });
  });

  it('text output lists each difference with the changed values', () => {
    const text = renderDiffText(result);
    expect(text).toContain('dbo."Orders" → public.orders: DIFFERENCES');
    expect(text).toContain('missing 1, extra 1, mismatched 1');
    expect(text).toContain('note: "new" → "old"');
    expect(text).toContain('hashing canonical-pushdown');
    expect(renderDiffText(result, { limit: 1 })).toContain('… 2 more');
  });

  it('markdown output escapes table separators', () => {
    const md = renderDiffMarkdown(result);
    expect(md).toContain('| kind | key | columns | source → target |');
    expect(md).toContain('| mismatched | id="2" | note | note: "new" → "old" |');
    expect(md).not.toContain('a|b');
  });
});

describe('severity', () => {
  it('picks the highest level whose named threshold is met', () => {
    expect(severityOf({ ...result, differences: [], summary: { missing: 0, extra: 0, mismatched: 0 } })).toBe(
      'ok',
    );
    expect(severityOf(result)).toBe('notice');
    expect(severityOf(result, { warning: { missing: 1 } })).toBe('warning');
    expect(severityOf(result, { critical: { ratio: 0.000003 } })).toBe('critical');
    expect(severityOf(result, { notice: {} })).toBe('ok');
  });
});

describe('planRepair', () => {
  it('plans insert, update of differing columns and delete, carrying the target values seen', () => {
    const plan = planRepair(result);
    expect(plan.summary).toEqual({ insert: 1, update: 1, delete: 1 });
    expect(plan.table).toEqual(result.target);
    expect(plan.steps).toEqual([
      { op: 'insert', key: { id: 1n }, values: { id: 1n, blob: new Uint8Array([1, 255]), note: 'a|b' } },
      { op: 'update', key: { id: 2n }, set: { note: 'new' }, expected: { note: 'old' } },
      { op: 'delete', key: { id: 3n }, expected: { blob: null, note: null } },
    ]);
    expect(planRepair(result, { operations: ['update'] }).steps.map((s) => s.op)).toEqual(['update']);
  });

  it('refuses a count-only diff', () => {
    expect(() => planRepair({ ...result, algorithm: 'count' })).toThrow(/count-only/);
  });
});
