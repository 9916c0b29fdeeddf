import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtelierDatabase } from './database';
import { newId } from './ids';
import { createParamPreset, deletePreset, listParamPresets } from './presets.repo';

describe('presets.repo', () => {
  let db: AtelierDatabase;
  beforeEach(() => {
    db = new AtelierDatabase(`test-${newId()}`);
  });
  afterEach(async () => {
    await db.delete();
  });

  it('saves, lists in order and deletes parameter presets, ignoring save rules', async () => {
    const a = await createParamPreset(db, { name: 'Square HD', providerId: 'p1', params: { size: '1024x1024', quality: 'high' } });
    const b = await createParamPreset(db, { name: 'Wide', providerId: null, params: { aspectRatio: '16:9' } });
    await db.presets.add({ id: newId(), createdAt: Date.now(), name: 'rule', kind: 'save-rule', providerId: null, params: {} });
    expect((await listParamPresets(db)).map((p) => [p.name, p.params])).toEqual([
      ['Square HD', { size: '1024x1024', quality: 'high' }],
      ['Wide', { aspectRatio: '16:9' }]
    ]);
    await deletePreset(db, a.id);
    expect((await listParamPresets(db)).map((p) => p.id)).toEqual([b.id]);
  });
});
