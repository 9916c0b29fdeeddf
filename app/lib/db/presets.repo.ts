// Parameter presets: a named provider + parameters, applied in one click in the studio.

import { liveQuery } from 'dexie';
import type { AtelierDatabase } from './database';
import { newId } from './ids';
import type { PresetRecord } from './records';

/** Parameter presets, oldest first (the order they were saved in). */
export async function listParamPresets(db: AtelierDatabase): Promise<PresetRecord[]> {
  return db.presets.where('kind').equals('params').sortBy('createdAt');
}

export async function createParamPreset(
  db: AtelierDatabase,
  input: { name: string; providerId: string | null; params: Record<string, unknown> }
): Promise<PresetRecord> {
  const now = Date.now();
  const record: PresetRecord = {
    id: newId(now),
    createdAt: now,
    name: input.name.trim(),
    kind: 'params',
    providerId: input.providerId,
    params: input.params
  };
  await db.presets.add(record);
  return record;
}

export async function deletePreset(db: AtelierDatabase, id: string): Promise<void> {
  await db.presets.delete(id);
}

export function watchParamPresets(db: AtelierDatabase) {
  return liveQuery(() => listParamPresets(db));
}
