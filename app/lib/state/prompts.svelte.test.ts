import { describe, expect, it } from 'vitest';
import type { PromptRecord } from '$lib/db/records';
import { filterPrompts, suggestPrompts } from './prompts.svelte';

function prompt(overrides: Partial<PromptRecord>): PromptRecord {
  return { id: 'p', createdAt: 1, updatedAt: 1, title: '', text: '', category: '', tags: [], favorite: 0, uses: 0, deletedAt: 0, ...overrides };
}

describe('prompt search', () => {
  const library = [
    prompt({ id: 'a', title: 'Lighthouse', text: 'a lighthouse at dusk, oil painting', category: 'Landscape', tags: ['oil'], uses: 1 }),
    prompt({ id: 'b', title: 'Fox', text: 'a red fox in snow', category: 'Animals', favorite: 1 }),
    prompt({ id: 'c', title: '灯塔', text: '黄昏时的红色灯塔', category: 'Landscape', uses: 5 })
  ];

  it('filters by every word, category and favorites', () => {
    expect(filterPrompts(library, { query: 'oil dusk', category: '', favoritesOnly: false }).map((p) => p.id)).toEqual(['a']);
    expect(filterPrompts(library, { query: '', category: 'Landscape', favoritesOnly: false }).map((p) => p.id)).toEqual(['a', 'c']);
    expect(filterPrompts(library, { query: '', category: '', favoritesOnly: true }).map((p) => p.id)).toEqual(['b']);
    expect(filterPrompts(library, { query: '灯塔', category: '', favoritesOnly: false }).map((p) => p.id)).toEqual(['c']);
  });

  it('suggests matching prompts, most used first, but not the prompt already typed in full', () => {
    expect(suggestPrompts(library, 'a').map((p) => p.id)).toEqual([]);
    expect(suggestPrompts(library, 'ligh').map((p) => p.id)).toEqual(['a']);
    expect(suggestPrompts(library, 'a red fox in snow')).toEqual([]);
    expect(suggestPrompts(library, '灯塔').map((p) => p.id)).toEqual(['c']);
  });
});
