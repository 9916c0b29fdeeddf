import { describe, expect, it } from 'vitest';
import { isEmptySearch, parseSearch, searchTokens } from './search';

/** Does a prompt match a query, by the same rules the index lookups apply? */
function matches(prompt: string, typed: string): boolean {
  const tokens = searchTokens(prompt);
  const query = parseSearch(typed);
  const prefix = query.prefix;
  return query.exact.every((token) => tokens.includes(token)) && (prefix === null || tokens.some((t) => t.startsWith(prefix)));
}

describe('searchTokens', () => {
  it('keeps English words lower-cased and unique', () => {
    expect(searchTokens('A Lighthouse at dusk, a LIGHTHOUSE!')).toEqual(['a', 'lighthouse', 'at', 'dusk']);
  });

  it('indexes Chinese by characters and bigrams', () => {
    expect(searchTokens('红色灯塔')).toEqual(['红', '色', '灯', '塔', '红色', '色灯', '灯塔']);
  });

  it('splits mixed runs where the script changes and folds full-width Latin', () => {
    const tokens = searchTokens('ＧＰＴ生成的4k海报');
    expect(tokens).toContain('gpt');
    expect(tokens).toContain('4k');
    expect(tokens).toContain('海报');
    expect(tokens).toContain('生成');
  });
});

describe('parseSearch', () => {
  it('treats the word being typed as a prefix', () => {
    expect(parseSearch('red light')).toEqual({ exact: ['red'], prefix: 'light' });
    expect(parseSearch('red light ')).toEqual({ exact: ['red', 'light'], prefix: null });
  });

  it('turns a Chinese run into the fewest bigrams that cover it, or one character', () => {
    expect(parseSearch('夕阳下的灯塔')).toEqual({ exact: ['夕阳', '下的', '灯塔'], prefix: null });
    expect(parseSearch('赛博朋克')).toEqual({ exact: ['赛博', '朋克'], prefix: null });
    expect(parseSearch('机器人')).toEqual({ exact: ['机器', '器人'], prefix: null });
    expect(parseSearch('城市夜景x')).toEqual({ exact: ['城市', '夜景'], prefix: 'x' });
    expect(parseSearch('山间湖泊美')).toEqual({ exact: ['山间', '湖泊', '泊美'], prefix: null });
    expect(parseSearch('猫')).toEqual({ exact: ['猫'], prefix: null });
  });

  it('is empty for punctuation and spaces', () => {
    expect(isEmptySearch(parseSearch(' ,.!? '))).toBe(true);
  });
});

describe('matching English and Chinese prompts', () => {
  it('finds English prompts by words and prefixes', () => {
    expect(matches('A lighthouse at dusk, oil painting', 'light')).toBe(true);
    expect(matches('A lighthouse at dusk, oil painting', 'painting lighthouse')).toBe(true);
    expect(matches('A lighthouse at dusk, oil painting', 'watercolor')).toBe(false);
  });

  it('finds Chinese prompts by any contiguous phrase, without spaces', () => {
    const prompt = '一只橘猫坐在夕阳下的灯塔上，油画风格';
    expect(matches(prompt, '灯塔')).toBe(true);
    expect(matches(prompt, '橘猫')).toBe(true);
    expect(matches(prompt, '油画风格')).toBe(true);
    expect(matches(prompt, '猫')).toBe(true);
    expect(matches(prompt, '水彩')).toBe(false);
    expect(matches(prompt, '塔灯')).toBe(false);
  });

  it('finds mixed-language prompts by either language', () => {
    const prompt = 'cyberpunk 城市夜景, neon lights';
    expect(matches(prompt, '夜景 neon')).toBe(true);
    expect(matches(prompt, 'cyber')).toBe(true);
  });
});
