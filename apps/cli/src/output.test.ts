import { describe, expect, it } from 'vitest';
import { Output, useColor } from './output.js';
import { createProgress } from './progress.js';
import { Redactor } from './redact.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, columns: 80, write: (s: string) => chunks.push(s) }, chunks };
}

describe('useColor', () => {
  it('colors only a terminal, never with NO_COLOR or --no-color', () => {
    expect(useColor({ write: () => 0, isTTY: true }, {})).toBe(true);
    expect(useColor({ write: () => 0, isTTY: false }, {})).toBe(false);
    expect(useColor({ write: () => 0, isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ write: () => 0, isTTY: true }, {}, false)).toBe(false);
    expect(useColor({ write: () => 0, isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('Output', () => {
  it('routes results to stdout, the rest to stderr, honours --quiet and --verbose, and redacts stderr', () => {
    const out = sink(false);
    const err = sink(false);
    const redactor = new Redactor();
    redactor.add('hunter2');
    const o = new Output({
      stdout: out.stream,
      stderr: err.stream,
      color: false,
      verbose: false,
      quiet: true,
      redactor,
    });
    o.result('result with hunter2');
    o.info('narration');
    o.debug('details');
    o.warn('careful: postgres://a:hunter2@h/db');
    o.error('cannot read hunter2.txt: hunter2');
    expect(out.chunks).toEqual(['result with hunter2\n']);
    expect(err.chunks).toEqual([
      'warning: careful: postgres://a:***@h/db\n',
      'error: cannot read ***.txt: ***\n',
    ]);
  });

  it('writes results verbatim: names, keys and values equal to a password, and URL-like values', () => {
    const out = sink(false);
    const err = sink(false);
    const redactor = new Redactor();
    redactor.add('orders');
    const o = new Output({
      stdout: out.stream,
      stderr: err.stream,
      color: false,
      verbose: true,
      quiet: false,
      redactor,
    });
    const json = JSON.stringify({
      source: { schema: 'orders', name: 'orders' },
      differences: [
        { key: { orders: 'orders' }, source: { note: 'orders', link: 'postgres://u:orders@h/db' } },
      ],
    });
    o.result(json);
    o.result('orders.orders → replica.orders: DIFFERENCES (missing 1)\n');
    expect(out.chunks).toEqual([`${json}\n`, 'orders.orders → replica.orders: DIFFERENCES (missing 1)\n']);
    expect(err.chunks).toEqual([]);
    // The same text as a diagnostic is masked.
    o.info('comparing orders.orders_2024 at postgres://app:orders@db/shop');
    expect(err.chunks).toEqual(['comparing ***.orders_2024 at postgres://app:***@db/shop\n']);
  });
});

describe('createProgress', () => {
  it('draws on a terminal only', () => {
    const tty = sink(true);
    const bar = createProgress(tty.stream, true);
    bar.update(1, 4, 'orders');
    bar.update(4, 4, 'orders');
    bar.stop();
    expect(tty.chunks.join('')).toContain('orders');
    const pipe = sink(false);
    const silent = createProgress(pipe.stream, true);
    silent.update(1, 4);
    silent.stop();
    expect(pipe.chunks).toEqual([]);
    const off = sink(true);
    createProgress(off.stream, false).update(1, 2);
    expect(off.chunks).toEqual([]);
  });
});
