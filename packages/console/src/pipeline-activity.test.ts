import { describe, expect, it } from 'vitest';
import { PipelineActivity } from './pipeline-activity.js';
import { LAG_HISTORY_SIZE, renderStatusText, statusDocument } from './status-document.js';

describe('PipelineActivity', () => {
  it('keeps the last lag samples and averages the apply rate over the last minute', () => {
    const a = new PipelineActivity();
    const t0 = Date.UTC(2026, 0, 1);
    expect(a.of('p', t0)).toEqual({
      lagSeconds: null,
      lagHistory: [],
      changesPerSecond: 0,
      appliedChanges: 0,
    });
    a.record('p', { changes: 600, lagMs: 1500 }, t0);
    a.record('p', { changes: 60 }, t0 + 30_000);
    expect(a.of('p', t0 + 30_000)).toEqual({
      lagSeconds: 1.5,
      lagHistory: [{ at: new Date(t0).toISOString(), seconds: 1.5 }],
      changesPerSecond: 11,
      appliedChanges: 660,
    });
    // A minute later only the second batch is in the window; the total keeps both.
    expect(a.of('p', t0 + 75_000)).toMatchObject({ changesPerSecond: 1, appliedChanges: 660 });
    for (let i = 0; i < LAG_HISTORY_SIZE + 10; i++) a.record('p', { changes: 1, lagMs: i }, t0 + 80_000 + i);
    const history = a.of('p', t0 + 90_000).lagHistory;
    expect(history).toHaveLength(LAG_HISTORY_SIZE);
    expect(history.at(-1)?.seconds).toBe((LAG_HISTORY_SIZE + 9) / 1000);
    expect(a.of('other', t0).appliedChanges).toBe(0);
  });
});

describe('renderStatusText', () => {
  it('prints one line per table and the notes once', () => {
    const doc = statusDocument({
      service: 'cdc',
      pipelines: [],
      repairs: [],
      tables: ['a', 'b'].map((name) => ({
        pipeline: 'shop',
        table: `public.${name}`,
        target: name === 'a' ? 'public.a' : 'replica.b',
        snapshot: 'done' as const,
        position: '0/16B3748',
        lagBytes: '0',
        lastAppliedAt: null,
        lastReconcile: null,
        deadLetters: 2,
        drift: [],
        verification: null,
        notes: ['source not reachable'],
      })),
    });
    const text = renderStatusText(doc).split('\n');
    expect(text[0]).toMatch(/^pipeline\s+table\s+snapshot\s+position\s+lag/);
    expect(text[1]).toMatch(/^shop\s+public\.a\s+done\s+0\/16B3748\s+0 B\s+-\s+-\s+-\s+2$/);
    expect(text[2]).toContain('public.b → replica.b');
    expect(text.slice(3)).toEqual([
      'note: shop/public.a: source not reachable',
      'note: shop/public.b: source not reachable',
    ]);
  });
});
