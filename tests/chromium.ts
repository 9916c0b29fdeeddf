import { existsSync } from 'node:fs';

/** Debian's Chromium, never a downloaded browser (CHROME_PATH overrides). */
export const chromiumPath = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** Flags that let headless Chromium run on this closed, GPU-less machine (STACK.md trap 9). */
export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage'
];

export function chromiumMissing(): string | null {
  return existsSync(chromiumPath)
    ? null
    : `Chromium not found at ${chromiumPath}. Install it with 'apt-get install -y chromium' or set CHROME_PATH.`;
}
