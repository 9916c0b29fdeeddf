// The i18n layer: message tables, locale detection and a pure translate().
// Components do not import this for strings; they use `t` from `$lib/state/locale.svelte`,
// which reads the current locale reactively and calls translate().

import { en, type MessageKey, type Messages } from './en';
import { zhCN } from './zh-CN';

export type { MessageKey, Messages };

export const locales = ['en', 'zh-CN'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'en';

export const messages: { readonly [L in Locale]: Messages } = { en, 'zh-CN': zhCN };

/** Each language's name written in that language (shown in the language switch as is). */
export const localeNames: { readonly [L in Locale]: string } = { en: 'English', 'zh-CN': '简体中文' };

export type MessageParams = Readonly<Record<string, string | number>>;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/**
 * Picks a supported locale from the browser's preference list (navigator.languages), in order.
 * Any Chinese tag (zh, zh-CN, zh-Hans, zh-TW ...) maps to Simplified Chinese, the one Chinese
 * we ship; any English tag to English. Nothing recognised: English.
 */
export function detectLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return defaultLocale;
}

/** Looks a key up in a locale and fills {placeholders} from params. */
export function translate(locale: Locale, key: MessageKey, params?: MessageParams): string {
  const text = messages[locale][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}
