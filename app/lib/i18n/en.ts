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
  'providers.title': 'Providers',
  'providers.description': 'Where images are made. Keys stay in this browser, on this device.',
  'providers.add': 'Add provider',
  'providers.add.title': 'Add a provider',
  'providers.edit.title': 'Edit {name}',
  'providers.cancel': 'Cancel',
  'providers.save': 'Save',
  'providers.confirmDelete': 'Delete the provider “{name}”? Its images stay in the gallery.',
  'providers.copyName': '{name} (copy)',
  'providers.default': 'Default',
  'providers.delete': 'Delete',
  'providers.deleteNamed': 'Delete {name}',
  'providers.deleted': 'Deleted {name}.',
  'providers.duplicate': 'Duplicate',
  'providers.duplicateNamed': 'Duplicate {name}',
  'providers.duplicated': 'Duplicated {name}.',
  'providers.editAction': 'Edit',
  'providers.editNamed': 'Edit {name}',
  'providers.makeDefault': 'Make default',
  'providers.makeDefaultNamed': 'Make {name} the default',
  'providers.empty': 'No providers yet. Add one, or start from a template below.',
  'providers.error.baseUrl': 'Enter a base URL starting with http:// or https://.',
  'providers.error.name': 'Give the provider a name.',
  'providers.field.name': 'Name',
  'providers.field.dialect': 'Dialect',
  'providers.field.baseUrl': 'Base URL',
  'providers.field.apiKey': 'API key',
  'providers.field.model': 'Model',
  'providers.field.concurrency': 'Parallel requests',
  'providers.field.timeout': 'Timeout (seconds)',
  'providers.key.show': 'Show key',
  'providers.key.hide': 'Hide key',
  'providers.key.hint': 'Stored only in this browser. Exports leave it out unless you include keys.',
  'providers.models.fetch': 'Fetch models',
  'providers.models.fetching': 'Fetching models…',
  'providers.models.found': '{count} models found. Pick one from the list or type a name.',
  'providers.models.failed': 'Could not fetch models: {message}',
  'providers.models.available': 'Listed by the provider',
  'providers.models.choose': 'Choose…',
  'providers.test.button': 'Test connection',
  'providers.test.running': 'Testing…',
  'providers.test.ok': 'Connected: {count} models, answered in {ms} ms.',
  'providers.test.badKey': 'The server answered but refused the key: {message}',
  'providers.test.unreachable': 'Could not reach the server: {message}',
  'providers.test.cors': 'The server answers, but it does not let this page read its replies (CORS). Use the Atelier relay to reach it.',
  'providers.test.timeout': 'No answer in time. Check the base URL, or try again.',
  'providers.test.error': 'The server answered with an error: {message}',
  'providers.templates': 'Start from a template',
  'providers.includeKeys': 'Include keys',
  'providers.export': 'Export',
  'providers.import': 'Import',
  'providers.imported': 'Imported {count} providers.',
  'providers.importFailed': 'Could not import: {message}',
  'studio.dialog.close': 'Close',

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
