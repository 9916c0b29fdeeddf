import { describe, expect, it } from 'vitest';
import { idTime, newId } from './ids';

describe('newId', () => {
  it('sorts in creation order, also within one millisecond', () => {
    const ids = [newId(1_700_000_000_000), newId(1_700_000_000_000), newId(1_700_000_000_001), newId(1_700_000_000_001)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
  });

  it('carries its creation time and has the ULID shape', () => {
    const id = newId(1_800_000_000_123);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(idTime(id)).toBe(1_800_000_000_123);
  });
});
