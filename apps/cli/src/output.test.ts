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
  it('routes results to stdout, the rest to stderr, honours --quiet and --verbose, and redacts', () => {
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
    expect(out.chunks).toEqual(['result with ***\n']);
    expect(err.chunks).toEqual(['warning: careful: postgres://a:***@h/db\n']);
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
