import { describe, expect, it } from 'vitest';
import { fitWithin } from './thumbnail';

describe('fitWithin', () => {
  it('scales the long side down to the limit and keeps the aspect ratio', () => {
    expect(fitWithin(2048, 1024, 384)).toEqual({ width: 384, height: 192 });
    expect(fitWithin(1024, 1536, 384)).toEqual({ width: 256, height: 384 });
  });

  it('never enlarges and never reaches zero', () => {
    expect(fitWithin(200, 100, 384)).toEqual({ width: 200, height: 100 });
    expect(fitWithin(10000, 1, 384)).toEqual({ width: 384, height: 1 });
  });
});
