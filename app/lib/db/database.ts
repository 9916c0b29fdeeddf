import Dexie, { type EntityTable } from 'dexie';
import type {
  BlobRecord,
  ImageRecord,
  LogRecord,
  PresetRecord,
  PromptRecord,
  ProviderRecord,
  SessionRecord,
  SettingRecord,
  TaskRecord,
  ThumbRecord
} from './records';
import type { InboxRecord } from './inbox.repo';

/**
 * Every schema change is a new `this.version(n)` below with its upgrade and a test that opens the
 * previous version's data (migrations.test.ts). Never edit a version that has shipped.
 */
export class AtelierDatabase extends Dexie {
  images!: EntityTable<ImageRecord, 'id'>;
  blobs!: EntityTable<BlobRecord, 'id'>;
  thumbs!: EntityTable<ThumbRecord, 'id'>;
  tasks!: EntityTable<TaskRecord, 'id'>;
  sessions!: EntityTable<SessionRecord, 'id'>;
  providers!: EntityTable<ProviderRecord, 'id'>;
  presets!: EntityTable<PresetRecord, 'id'>;
  prompts!: EntityTable<PromptRecord, 'id'>;
  logs!: EntityTable<LogRecord, 'seq'>;
  settings!: EntityTable<SettingRecord, 'key'>;
  inbox!: EntityTable<InboxRecord, 'id'>;

  constructor(name = 'atelier', options?: ConstructorParameters<typeof Dexie>[1]) {
    super(name, options);
    this.version(1).stores({
      // Metadata only, never image bytes. The grid walks [listed+deletedAt+id] (ids sort by
      // creation time) and its bytes/favorite variants; [deletedAt+createdAt] finds expired trash;
      // the single-field indexes answer filters as key sets (images.repo.ts).
      images:
        'id, createdAt, sha256, [deletedAt+createdAt], [listed+deletedAt+id], [listed+deletedAt+bytes+id], [listed+favorite+deletedAt+id], sessionId, taskId, batchId, model, kind, candidateOf, *tags, *searchTokens',
      blobs: 'id',
      thumbs: 'id',
      tasks: 'id, createdAt, [status+createdAt], sessionId, batchId',
      sessions: 'id, updatedAt, deletedAt',
      providers: 'id, createdAt, isDefault',
      presets: 'id, createdAt, kind',
      prompts: 'id, updatedAt, category, deletedAt, favorite, *tags',
      logs: '++seq, time, taskId, level',
      settings: 'key',
      // Files shared to the app (Web Share Target) until the studio takes them (inbox.repo.ts).
      inbox: 'id, createdAt'
    });
  }
}

let shared: AtelierDatabase | undefined;

// A page opens the database as soon as this module loads, while the rest of the app's code is
// still arriving: opening took 60-130 ms in Chromium with a large library, and every page reads it
// (settings, tasks) right after mounting. Workers and Node open on first use.
if (typeof window !== 'undefined' && typeof indexedDB !== 'undefined') {
  database()
    .open()
    .catch(() => {
      // The first real query reports why (blocked, quota, private mode).
    });
}

/** The app's one database per browser profile (tests make their own with other names). */
export function database(): AtelierDatabase {
  shared ??= new AtelierDatabase();
  return shared;
}
