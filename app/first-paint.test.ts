// app.html draws a static copy of the app's frame before any script runs. These checks keep that
// copy saying and showing what the components do: same destinations, icons and words.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { en, type MessageKey } from './lib/i18n/en';
import { zhCN } from './lib/i18n/zh-CN';

const html = readFileSync(new URL('./app.html', import.meta.url), 'utf8');
const shell = html.slice(html.indexOf('<div id="first-paint"'), html.indexOf('%sveltekit.body%'));
const appNav = readFileSync(new URL('./lib/components/shell/AppNav.svelte', import.meta.url), 'utf8');
const iconComponent = readFileSync(new URL('./lib/components/shell/Icon.svelte', import.meta.url), 'utf8');
const tight = (markup: string) => markup.replace(/>\s+</g, '><').trim();

describe('the first-paint copy in app.html', () => {
  it('links the same destinations, in the same order and with the same icons, as AppNav', () => {
    const sut = [...shell.matchAll(/<a href="([^"]+)">[\s\S]*?data-icon="(\w+)"/g)].map(([, href, icon]) => `${href} ${icon}`);
    const real = [...appNav.matchAll(/\{ href: '([^']+)', icon: '(\w+)'/g)].map(([, href, icon]) => `${href} ${icon}`);
    expect(real).toHaveLength(6);
    expect(sut).toEqual(real);
  });

  it('draws each icon exactly as Icon.svelte does', () => {
    const real = Object.fromEntries([...iconComponent.matchAll(/\{(?:#if|:else if) name === '(\w+)'\}([\s\S]*?)(?=\{:else if|\{\/if\})/g)].map(([, name, markup]) => [name, tight(markup!)]));
    const drawn = [...shell.matchAll(/data-icon="(\w+)">([\s\S]*?)<\/svg>/g)];
    expect(drawn).toHaveLength(6);
    for (const [, name, markup] of drawn) expect(tight(markup!)).toBe(real[name!]);
  });

  it('writes the English messages and carries the Chinese ones for every word it shows', () => {
    const words = [...shell.matchAll(/data-i18n="([\w.]+)">([^<]*)</g)];
    expect(words.length).toBeGreaterThanOrEqual(7);
    const chinese = Object.fromEntries(
      [...(/var chinese = \{([^}]*)\}/.exec(shell)?.[1] ?? '').matchAll(/'([\w.]+)': '([^']*)'/g)].map(([, key, text]) => [key, text])
    );
    for (const [, key, text] of words) {
      expect(text).toBe(en[key as MessageKey]);
      expect(chinese[key!]).toBe(zhCN[key as MessageKey]);
    }
  });
});
