// English messages: the source of truth for message keys.
// Keys are flat and namespaced by area ("nav.gallery", "gallery.empty.title").
// Add a key here and the same key in zh-CN.ts; a missing or extra key there is a type error.
// Placeholders are written {name} and filled by t(key, { name }).

export const en = {
  'app.name': 'Atelier',
  'app.tagline': 'A local-first studio for AI image generation',
  'app.titleSuffix': 'Atelier',

  'shell.skipToContent': 'Skip to content',
  'shell.mainNav': 'Main navigation',

  'nav.studio': 'Studio',
  'nav.gallery': 'Gallery',
  'nav.batch': 'Batch',
  'nav.tasks': 'Tasks',
  'nav.logs': 'Logs',
  'nav.settings': 'Settings',

  'update.available': 'A new version is available',
  'update.reload': 'Reload',
  'update.later': 'Later',
  'update.label': 'App update',

  'studio.title': 'Studio',
  'studio.empty.title': 'Ready when you are',
  'studio.empty.body': 'Add a provider in Settings to start generating images.',
  'studio.empty.action': 'Open Settings',

  'gallery.title': 'Gallery',
  'gallery.empty.title': 'No images yet',
  'gallery.empty.body': 'Images you generate are kept here, on this device.',

  'batch.title': 'Batch',
  'batch.empty.title': 'No batch jobs yet',
  'batch.empty.body': 'Batch jobs run a folder of images through a model and save the results.',

  'tasks.title': 'Tasks',
  'tasks.empty.title': 'No tasks yet',
  'tasks.empty.body': 'Queued, running and finished generations appear here.',

  'logs.title': 'Logs',
  'logs.empty.title': 'No log entries yet',
  'logs.empty.body': 'Requests to providers and their outcomes are recorded here.',

  'settings.title': 'Settings',
  'settings.language.title': 'Language',
  'settings.language.description': 'The language of the interface.',
  'settings.theme.title': 'Theme',
  'settings.theme.description': 'Follow the system, or always use light or dark.',
  'settings.theme.system': 'System',
  'settings.theme.light': 'Light',
  'settings.theme.dark': 'Dark'
} as const satisfies Record<string, string>;

export type MessageKey = keyof typeof en;

/** A complete message table: every key of `en`, and nothing else. */
export type Messages = { readonly [K in MessageKey]: string };
