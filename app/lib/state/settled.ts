/**
 * Runs `callback` once the page has loaded, had `delayMs` more to read and draw its data (an SPA's
 * load event comes before that), and the main thread is idle. For start-up work that nothing on
 * screen waits for, so it never competes with what a person opened the page to see. Returns a
 * cancel function.
 */
export function whenSettled(callback: () => void, delayMs: number): () => void {
  let canceled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idle: number | undefined;
  const run = () => {
    if (!canceled) callback();
  };
  const later = () => {
    timer = setTimeout(() => {
      if ('requestIdleCallback' in window) idle = requestIdleCallback(run, { timeout: 5000 });
      else run();
    }, delayMs);
  };
  if (document.readyState === 'complete') later();
  else window.addEventListener('load', later, { once: true });
  return () => {
    canceled = true;
    window.removeEventListener('load', later);
    clearTimeout(timer);
    if (idle !== undefined) cancelIdleCallback(idle);
  };
}
