/// <reference lib="webworker" />
// The service worker keeps the app itself available offline and receives files shared to it.
// It never caches data: the gallery lives in IndexedDB, and API traffic (/api, /v1, any other
// origin) always goes to the network, so an answer is never stale and a key never sits in a cache.
// A new version installs in the background and waits until the person accepts it
// (app/lib/state/app-update.svelte.ts sends SKIP_WAITING).

import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute, type RouteHandlerCallbackOptions } from 'workbox-routing';
import { database } from '$lib/db/database';
import { putShared } from '$lib/db/inbox.repo';

declare const self: ServiceWorkerGlobalScope;

/** The manifest's share_target.action (static/manifest.webmanifest). */
const SHARE_TARGET_PATH = '/share-target';
/** The form field the manifest names in share_target.params.files. */
const SHARE_FILES_FIELD = 'images';

// The shell and every route's code, injected at build time; nothing outside this list is cached.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// The very first install takes the open page at once, so the rest of that first visit (lazy route
// code, a share) already works offline. Later versions still wait: they activate only after
// SKIP_WAITING, and claiming then is what moves every open tab to the new version together.
clientsClaim();

// Every page of the SPA is the same shell (adapter-static fallback), so any deep link loads
// offline. The server's own paths are left to the network.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('index.html'), {
    denylist: [/^\/api\//, /^\/v1\//, new RegExp(`^${SHARE_TARGET_PATH}`)]
  })
);

registerRoute(({ url, sameOrigin }) => sameOrigin && url.pathname === SHARE_TARGET_PATH, receiveShare, 'POST');

/**
 * A Web Share Target POST: no page exists yet to hand the files to, so they wait in IndexedDB and
 * the studio opens with `?shared=<id>`. Whatever goes wrong, the person lands in the studio (which
 * says the files could not be opened) rather than on a browser error page.
 */
async function receiveShare({ request }: RouteHandlerCallbackOptions): Promise<Response> {
  let target = '/?shared=none';
  try {
    const form = await request.formData();
    const files = form.getAll(SHARE_FILES_FIELD).filter((value): value is File => value instanceof File);
    const id = await putShared(database(), files, { title: field(form, 'title'), text: field(form, 'text') });
    if (id) target = `/?shared=${encodeURIComponent(id)}`;
  } catch (error) {
    console.error('Atelier: could not keep the shared files', error);
  }
  return Response.redirect(target, 303);
}

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting();
});
