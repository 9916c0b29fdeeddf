// Storage facts for the Settings panel and the "ask to persist" moment: how much this origin
// uses and may use, whether the browser promised to keep it, and a size cap kept in settings.

import { database } from '$lib/db/database';
import { libraryBytes, planEviction, type EvictionPlan } from '$lib/db/images.repo';
import { deleteForever } from '$lib/db/trash';

const CAP_KEY = 'storage.capBytes';

export class StorageState {
  usage = $state<number | null>(null);
  quota = $state<number | null>(null);
  persisted = $state<boolean | null>(null);
  /** The last persist() answer in this visit; false means the browser declined. */
  granted = $state<boolean | null>(null);
  libraryBytes = $state(0);
  capBytes = $state<number | null>(null);

  async refresh(): Promise<void> {
    const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
    const [estimate, persisted, bytes, cap] = await Promise.all([
      storage?.estimate?.().catch(() => null) ?? null,
      storage?.persisted?.().catch(() => null) ?? null,
      libraryBytes(database()),
      database().settings.get(CAP_KEY)
    ]);
    this.usage = estimate?.usage ?? null;
    this.quota = estimate?.quota ?? null;
    this.persisted = persisted;
    this.libraryBytes = bytes;
    this.capBytes = typeof cap?.value === 'number' ? cap.value : null;
  }

  /** Asks the browser to keep this origin's data under storage pressure. */
  async requestPersistence(): Promise<boolean> {
    const granted = (await navigator.storage?.persist?.().catch(() => false)) ?? false;
    this.granted = granted;
    this.persisted = granted;
    return granted;
  }

  planCap(capBytes: number): Promise<EvictionPlan> {
    return planEviction(database(), capBytes);
  }

  /** Stores the cap (null: none) and removes the planned images, after the person confirmed. */
  async applyCap(capBytes: number | null, plan: EvictionPlan | null): Promise<void> {
    if (capBytes === null) await database().settings.delete(CAP_KEY);
    else await database().settings.put({ key: CAP_KEY, value: capBytes });
    if (plan && plan.ids.length > 0) await deleteForever(database(), plan.ids);
    await this.refresh();
  }
}

let asked = false;

/**
 * Asks once per visit for persistent storage when the library holds images, which is when losing
 * it starts to matter (the first saved image). Chromium answers from site engagement, no prompt.
 */
export async function askPersistenceOnce(imageCount: number): Promise<void> {
  if (asked || imageCount === 0 || typeof navigator === 'undefined' || !navigator.storage?.persist) return;
  asked = true;
  if (!(await navigator.storage.persisted())) await navigator.storage.persist().catch(() => false);
}
