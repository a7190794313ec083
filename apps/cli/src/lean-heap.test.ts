import { describe, expect, it } from 'vitest';
import { leanHeapWanted } from './lean-heap.js';

describe('CDC_LEAN_HEAP', () => {
  it('is on unless set to 0 or false', () => {
    expect(leanHeapWanted({})).toBe(true);
    expect(leanHeapWanted({ CDC_LEAN_HEAP: '' })).toBe(true);
    expect(leanHeapWanted({ CDC_LEAN_HEAP: '1' })).toBe(true);
    expect(leanHeapWanted({ CDC_LEAN_HEAP: 'TRUE' })).toBe(true);
    expect(leanHeapWanted({ CDC_LEAN_HEAP: '0' })).toBe(false);
    expect(leanHeapWanted({ CDC_LEAN_HEAP: ' false ' })).toBe(false);
  });

  it('refuses anything else, naming the variable and the values it takes', () => {
    expect(() => leanHeapWanted({ CDC_LEAN_HEAP: 'small' })).toThrow(
      /CDC_LEAN_HEAP must be 1 or 0, got "small"/,
    );
  });
});
