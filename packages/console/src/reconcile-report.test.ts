import { describe, expect, it } from 'vitest';
import {
  renderDriftChart,
  renderHtmlReport,
  renderRunMarkdown,
  renderRunText,
  type ReportRun,
} from './reconcile-report.js';

const runs: ReportRun[] = [1, 2, 3].map((n) => ({
  id: `run-${n}`,
  startedAt: new Date(Date.UTC(2026, 0, n)),
  status: n === 3 ? 'in_sync' : 'differences',
  tables: [
    {
      table: 'public.orders',
      status: n === 3 ? 'in_sync' : 'differences',
      sourceCount: 100,
      targetCount: 100 - n,
      missing: n === 3 ? 0 : n,
      extra: 0,
      mismatched: n === 1 ? 5 : 0,
    },
    {
      table: '"Sales <EU>"."Items"',
      status: 'in_sync',
      sourceCount: 7,
      targetCount: 7,
      missing: 0,
      extra: 0,
      mismatched: 0,
    },
  ],
}));

describe('reconcile report rendering', () => {
  it('draws one point per run, scaled to the largest drift, oldest first', () => {
    const svg = renderDriftChart([runs[2]!, runs[0]!, runs[1]!], 200, 100);
    const points = /points="([^"]+)"/
      .exec(svg)![1]!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    expect(points).toHaveLength(3);
    // run-1 has 6 differences (the max) so sits on the top line; run-3 has none so on the baseline.
    expect(points[0]![1]).toBeCloseTo(16);
    expect(points[2]![1]).toBeCloseTo(64);
    expect(points[0]![0]).toBeLessThan(points[2]![0]!);
  });

  it('writes one self-contained HTML file with escaped names and no external resources', () => {
    const html = renderHtmlReport(runs, runs[0]!);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('&quot;Sales &lt;EU&gt;&quot;.&quot;Items&quot;');
    expect(html).not.toMatch(/<script|src=|href=|@import/);
    expect(html).toContain('6 difference(s) over 2 table(s)');
  });

  it('lists each differing table with its first keys and columns, escaped, never values', () => {
    const run: ReportRun = {
      id: 'run-9',
      startedAt: new Date(Date.UTC(2026, 0, 9)),
      status: 'differences',
      tables: [
        {
          table: 'public.orders',
          status: 'differences',
          missing: 1,
          extra: 0,
          mismatched: 30,
          differences: [
            { kind: 'missing', key: [17], columns: [] },
            { kind: 'mismatched', key: ['<b>k</b>', 2], columns: ['amount', 'note'] },
          ],
        },
        { table: 'public.items', status: 'in_sync', missing: 0, extra: 0, mismatched: 0 },
      ],
    };
    const html = renderHtmlReport([run], run);
    expect(html).toContain('<section class="card"><header><h3><code>public.orders</code></h3>');
    expect(html).not.toContain('<h3><code>public.items</code>');
    expect(html).toContain('<td><code>17</code></td><td><span class="muted">whole row</span></td>');
    expect(html).toContain('<code>&lt;b&gt;k&lt;/b&gt;, 2</code></td><td>amount, note</td>');
    expect(html).toContain('First 2 of 31 difference(s)');
    expect(html).toContain('.badge{'); // the console's stylesheet, inline
    expect(html).not.toMatch(/<script|src=|href=|@import/);
  });

  it('renders text and markdown tables', () => {
    expect(renderRunText(runs[0]!)).toMatch(/public\.orders\s+differences\s+100\s+99\s+1\s+0\s+5/);
    expect(renderRunMarkdown(runs[0]!)).toContain('| `public.orders` | differences | 100 | 99 | 1 | 0 | 5 |');
  });
});
