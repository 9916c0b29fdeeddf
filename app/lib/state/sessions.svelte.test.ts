import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '$lib/db/records';
import { filterSessions } from './sessions.svelte';

function session(id: string, title: string, prompts: string[]): SessionRecord {
  return {
    id, createdAt: 1, updatedAt: 1, title, providerId: null, deletedAt: 0,
    turns: prompts.map((prompt, index) => ({ id: `${id}-${index}`, createdAt: 1, prompt, inputIds: [], taskId: null, outputIds: [], error: null }))
  };
}

describe('filterSessions', () => {
  it('matches titles and the prompts of every turn', () => {
    const all = [session('a', 'Foxes', ['a red fox']), session('b', 'Boats', ['a boat', 'now make it blue'])];
    expect(filterSessions(all, 'blue').map((s) => s.id)).toEqual(['b']);
    expect(filterSessions(all, 'FOX red').map((s) => s.id)).toEqual(['a']);
    expect(filterSessions(all, '  ').map((s) => s.id)).toEqual(['a', 'b']);
  });
});
