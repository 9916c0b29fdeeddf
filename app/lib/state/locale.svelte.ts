import { detectLocale, isLocale, translate, type Locale, type MessageKey, type MessageParams } from '$lib/i18n';

/** Where the chosen language is kept (a small UI preference; app data lives in IndexedDB). */
export const LOCALE_STORAGE_KEY = 'atelier.locale';

export interface LocaleStateOptions {
  /** Where an explicit choice is persisted; none: not persisted. */
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
  /** The browser's preference list (navigator.languages), used until a choice is made. */
  languages?: readonly string[];
  /** The element whose `lang` follows the locale (document.documentElement). */
  root?: HTMLElement;
}

/**
 * The interface language. On a first visit it follows the browser's languages; once a person
 * picks one in Settings, that choice is stored and wins. `t` is bound, so it can be passed around
 * and destructured; it reads `current`, so markup using it re-renders when the language changes.
 */
export class LocaleState {
  #current = $state<Locale>('en');
  #storage: LocaleStateOptions['storage'];
  #root: HTMLElement | undefined;

  constructor(options: LocaleStateOptions = {}) {
    this.#storage = options.storage;
    this.#root = options.root;
    const saved = readSafely(this.#storage, LOCALE_STORAGE_KEY);
    this.#current = isLocale(saved) ? saved : detectLocale(options.languages ?? []);
    this.#apply();
  }

  get current(): Locale {
    return this.#current;
  }

  /** Switches the language and remembers the choice. */
  set(locale: Locale): void {
    this.#current = locale;
    writeSafely(this.#storage, LOCALE_STORAGE_KEY, locale);
    this.#apply();
  }

  /** Applies a choice made elsewhere (another tab) without writing it back. */
  adopt(value: string | null): void {
    if (!isLocale(value) || value === this.#current) return;
    this.#current = value;
    this.#apply();
  }

  t = (key: MessageKey, params?: MessageParams): string => translate(this.#current, key, params);

  #apply(): void {
    if (this.#root) this.#root.lang = this.#current;
  }
}

function readSafely(storage: LocaleStateOptions['storage'], key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null; // storage blocked (privacy settings): behave as a first visit
  }
}

function writeSafely(storage: LocaleStateOptions['storage'], key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // storage blocked or full: the choice still applies for this visit
  }
}

function browserStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const inBrowser = typeof window !== 'undefined';

/** The app's one locale. */
export const locale = new LocaleState(
  inBrowser ? { storage: browserStorage(), languages: navigator.languages, root: document.documentElement } : {}
);

/** Translate a message key in the current locale: `t('gallery.empty.title')`. */
export const t = locale.t;

if (inBrowser) {
  // Another tab switched the language: follow it.
  window.addEventListener('storage', (event) => {
    if (event.key === LOCALE_STORAGE_KEY) locale.adopt(event.newValue);
  });
}
