// Small display helpers shared by the task and log views.

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/**
 * A clock time as 24-hour HH:MM:SS, the way logs show it in every locale. Built from the Date's own
 * fields on purpose: the first Intl date formatter a page creates loads ICU's date data, a 40-150 ms
 * main-thread task measured in Chromium here, which the task list paid while work arrived.
 */
export function formatTime(time: number): string {
  const date = new Date(time);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}
