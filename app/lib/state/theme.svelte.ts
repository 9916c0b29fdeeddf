import { MediaQuery } from 'svelte/reactivity';

export const themeChoices = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof themeChoices)[number];
export type ResolvedTheme = 'light' | 'dark';

/** Where the chosen theme is kept. app.html reads the same key before the app starts. */
export const THEME_STORAGE_KEY = 'atelier.theme';

/** Browser chrome colours (meta theme-color); the same as --bg in app.css. */
export const themeColors: { readonly [T in ResolvedTheme]: string } = { light: '#f7f5f2', dark: '#16161a' };

export function isThemeChoice(value: unknown): value is ThemeChoice {
  return typeof value === 'string' && (themeChoices as readonly string[]).includes(value);
}

export interface ThemeStateOptions {
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
  /** The element that carries `data-theme` (document.documentElement). */
  root?: HTMLElement;
}

/**
 * Light, dark or the system's choice. CSS does the work: app.css follows prefers-color-scheme
 * unless `<html data-theme="light|dark">` says otherwise; this class only sets that attribute,
 * the browser chrome colour, and remembers the choice.
 */
export class ThemeState {
  #choice = $state<ThemeChoice>('system');
  #storage: ThemeStateOptions['storage'];
  #root: HTMLElement | undefined;
  #systemDark = new MediaQuery('(prefers-color-scheme: dark)', false);

  constructor(options: ThemeStateOptions = {}) {
    this.#storage = options.storage;
    this.#root = options.root;
    let saved: string | null = null;
    try {
      saved = this.#storage?.getItem(THEME_STORAGE_KEY) ?? null;
    } catch {
      // storage blocked: follow the system
    }
    this.#choice = isThemeChoice(saved) ? saved : 'system';
    this.#apply();
  }

  get choice(): ThemeChoice {
    return this.#choice;
  }

  /** The theme in effect now: the choice, or the system's when the choice is "system". */
  resolved: ResolvedTheme = $derived(
    this.#choice === 'system' ? (this.#systemDark.current ? 'dark' : 'light') : this.#choice
  );

  set(choice: ThemeChoice): void {
    this.#choice = choice;
    try {
      this.#storage?.setItem(THEME_STORAGE_KEY, choice);
    } catch {
      // storage blocked or full: applies for this visit only
    }
    this.#apply();
  }

  /** Applies a choice made in another tab without writing it back. */
  adopt(value: string | null): void {
    if (!isThemeChoice(value) || value === this.#choice) return;
    this.#choice = value;
    this.#apply();
  }

  #apply(): void {
    const root = this.#root;
    if (!root) return;
    if (this.#choice === 'system') delete root.dataset.theme;
    else root.dataset.theme = this.#choice;
    // app.html has one theme-color per colour scheme; an explicit choice overrides both.
    for (const meta of root.ownerDocument.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')) {
      meta.dataset.systemContent ??= meta.content;
      meta.content = this.#choice === 'system' ? (meta.dataset.systemContent ?? meta.content) : themeColors[this.#choice];
    }
  }
}

const inBrowser = typeof window !== 'undefined';

function browserStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** The app's one theme. */
export const theme = new ThemeState(inBrowser ? { storage: browserStorage(), root: document.documentElement } : {});

if (inBrowser) {
  window.addEventListener('storage', (event) => {
    if (event.key === THEME_STORAGE_KEY) theme.adopt(event.newValue);
  });
}
