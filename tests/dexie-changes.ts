import type { Page } from '@playwright/test';

/**
 * Tells the app's Dexie that rows of `store` changed, as Dexie tells every other tab and worker of
 * its own writes (on its channel between contexts, Dexie 4's `x-storagemutated-1`). Rows put with
 * raw IndexedDB, as tests and benches seed them, are otherwise unseen by the live reads of an open
 * page, while everything the app writes goes through Dexie and is announced.
 */
export async function announceChange(page: Page, store: string): Promise<void> {
  await page.evaluate((store) => {
    const channel = new BroadcastChannel('x-storagemutated-1');
    // Dexie's whole key range (MIN_KEY to MAX_KEY): any row of the store may have changed.
    channel.postMessage({ [`idb://atelier/${store}/`]: { from: -Infinity, to: [[]], d: 1 } });
    channel.close();
  }, store);
}
