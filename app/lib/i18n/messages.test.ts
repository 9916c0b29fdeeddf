import { describe, expect, it } from 'vitest';
import { detectLocale, locales, messages, translate } from './index';

describe('message tables', () => {
  const english = Object.keys(messages.en).sort();

  it.each(locales)('%s has exactly the keys of en', (locale) => {
    expect(Object.keys(messages[locale]).sort()).toEqual(english);
  });

  it.each(locales)('%s has no empty strings', (locale) => {
    const empty = Object.entries(messages[locale])
      .filter(([, text]) => text.trim() === '')
      .map(([key]) => key);
    expect(empty).toEqual([]);
  });

  it.each(locales)('%s keeps the same {placeholders} as en for every key', (locale) => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(messages.en) as (keyof typeof messages.en)[]) {
      expect(names(messages[locale][key]), key).toEqual(names(messages.en[key]));
    }
  });
});

describe('detectLocale', () => {
  it('takes the first supported language in order', () => {
    expect(detectLocale(['fr-FR', 'zh-CN', 'en-US'])).toBe('zh-CN');
    expect(detectLocale(['en-GB', 'zh-CN'])).toBe('en');
  });

  it('maps every Chinese tag to Simplified Chinese', () => {
    for (const tag of ['zh', 'zh-CN', 'zh-Hans-CN', 'zh-TW', 'ZH-hk']) expect(detectLocale([tag])).toBe('zh-CN');
  });

  it('falls back to English', () => {
    expect(detectLocale([])).toBe('en');
    expect(detectLocale(['de-DE', 'ja'])).toBe('en');
  });
});

describe('translate', () => {
  it('looks keys up in the given locale', () => {
    expect(translate('en', 'nav.gallery')).toBe('Gallery');
    expect(translate('zh-CN', 'nav.gallery')).toBe('图库');
  });
});
