// Parameter presets for the studio: live list, save and apply.

import { database, type AtelierDatabase } from '$lib/db/database';
import { createParamPreset, deletePreset, watchParamPresets } from '$lib/db/presets.repo';
import type { PresetRecord } from '$lib/db/records';
import { Live } from './studio-live.svelte';

export class PresetsState {
  #db: () => AtelierDatabase;
  #live: Live<PresetRecord[]>;

  constructor(db: () => AtelierDatabase = database) {
    this.#db = db;
    this.#live = new Live<PresetRecord[]>(() => watchParamPresets(this.#db()), []);
  }

  get all(): PresetRecord[] {
    return this.#live.current;
  }

  save(name: string, providerId: string | null, params: Record<string, unknown>): Promise<PresetRecord> {
    return createParamPreset(this.#db(), { name, providerId, params });
  }

  remove(id: string): Promise<void> {
    return deletePreset(this.#db(), id);
  }
}

export const presets = new PresetsState();
