// The studio: what is being composed (provider, prompt, parameters, reference images), the current
// session, and live progress of its generations. Generation itself runs in the engine worker.

import { detectDialect } from '$lib/core/providers/detect';
import { meta as geminiMeta } from '$lib/core/providers/gemini/meta';
import { meta as chatMeta } from '$lib/core/providers/openai-chat/meta';
import { meta as imagesMeta } from '$lib/core/providers/openai-images/meta';
import { meta as responsesMeta } from '$lib/core/providers/openai-responses/meta';
import type { DialectCapabilities, DialectId, DialectMeta, GenerationRequest, InputImage } from '$lib/core/types';
import { database, type AtelierDatabase } from '$lib/db/database';
import { defaultFilter, galleryKeys, getImage, getImageBlob, getImages, getThumbs } from '$lib/db/images.repo';
import { newId } from '$lib/db/ids';
import { takeShared } from '$lib/db/inbox.repo';
import type { ImageRecord, PresetRecord, ProviderRecord } from '$lib/db/records';
import { addTurn, createSession, loadHistory, watchSessionView, type SessionView } from '$lib/db/sessions.repo';
import { cancel, onProgress, retry, startEngine, submit, PRIORITY, type TaskProgress } from '$lib/engine/bridge';
import { compressImage, compressionLimits } from '$lib/imaging/compress';
import { t } from './locale.svelte';
import { presets } from './presets.svelte';
import { prompts, suggestPrompts } from './prompts.svelte';
import { providers } from './providers.svelte';
import { Live } from './studio-live.svelte';

// Only the small manifests: the adapters themselves run in the engine worker, not on the page.
const metas: Readonly<Record<DialectId, DialectMeta>> = {
  'openai-images': imagesMeta,
  'openai-chat': chatMeta,
  'openai-responses': responsesMeta,
  gemini: geminiMeta
};

/** The parameters the studio offers; each is sent only when set and understood by the dialect. */
export interface StudioParams {
  /** Overrides the provider's model. */
  model?: string;
  n?: number;
  size?: string;
  aspectRatio?: string;
  imageSize?: string;
  quality?: string;
  background?: string;
  outputFormat?: 'png' | 'jpeg' | 'webp';
}

/** Options per parameter; '' means "leave it to the upstream". */
export const paramOptions = {
  size: ['', 'auto', '1024x1024', '1536x1024', '1024x1536'],
  aspectRatio: ['', '1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '21:9'],
  imageSize: ['', '1K', '2K', '4K'],
  quality: ['', 'auto', 'low', 'medium', 'high'],
  background: ['', 'auto', 'transparent', 'opaque'],
  outputFormat: ['', 'png', 'jpeg', 'webp'],
  n: [1, 2, 3, 4]
} as const;

/** Quality, background and output format are OpenAI image-model options; other dialects ignore them. */
function openAiOptions(dialect: DialectId): boolean {
  return dialect === 'openai-images' || dialect === 'openai-responses';
}

/** The request's parameters: the ones that are set and that this dialect understands. */
export function requestParams(dialect: DialectId, model: string, params: StudioParams): Omit<GenerationRequest, 'prompt' | 'model'> {
  const caps = metas[dialect].capabilities;
  const out: Omit<GenerationRequest, 'prompt' | 'model'> = {};
  if (caps.n && params.n && params.n > 1) out.n = params.n;
  if (caps.size && params.size) out.size = params.size;
  if (caps.aspectRatio && params.aspectRatio) out.aspectRatio = params.aspectRatio;
  if (caps.imageSize && params.imageSize) out.imageSize = params.imageSize;
  if (openAiOptions(dialect)) {
    if (params.quality) out.quality = params.quality;
    if (params.background) out.background = params.background;
    if (params.outputFormat) out.outputFormat = params.outputFormat;
  }
  // Partial previews need a stream. The Responses API streams anyway; on the Images API only the
  // gpt-image models stream (DALL·E and most other models behind that API do not).
  const previews = caps.partialImages && (dialect === 'openai-responses' || /^gpt-image/i.test(model));
  out.stream = metas[dialect].defaults.stream || previews;
  if (previews) out.partialImages = 2;
  return out;
}

export interface Reference {
  id: string;
  blob: Blob;
  /** Object URL for the chip's preview; revoked when the chip goes. */
  url: string;
  name: string;
  width: number;
  height: number;
}

export interface LiveProgress {
  text: string;
  percent: number | undefined;
  bytes: number | undefined;
  previewUrl: string | undefined;
  waiting: TaskProgress['waiting'];
}

/** The most reference images one request takes (OpenAI edits accept 16). */
export const MAX_REFERENCES = 16;

let referenceSeq = 0;

export class StudioState {
  #db: () => AtelierDatabase;

  providerId = $state<string | null>(null);
  prompt = $state('');
  params = $state<StudioParams>({});
  references = $state<Reference[]>([]);
  /** Images being compressed right now. */
  compressing = $state(0);
  sessionId = $state<string | null>(null);
  submitting = $state(false);
  /** The last thing that went wrong before a task existed (compression, a full queue). */
  error = $state('');
  progress = $state<Record<string, LiveProgress>>({});

  constructor(db: () => AtelierDatabase = database) {
    this.#db = db;
  }

  readonly provider: ProviderRecord | undefined = $derived(providers.byId(this.providerId) ?? providers.defaultProvider);
  readonly model: string = $derived(this.params.model?.trim() || this.provider?.model || '');
  readonly dialect: DialectId = $derived(
    !this.provider ? 'openai-images' : this.provider.dialect === 'auto' ? detectDialect(this.provider.baseUrl, this.model).dialect : this.provider.dialect
  );
  readonly capabilities: DialectCapabilities = $derived(metas[this.dialect].capabilities);
  readonly openAiOptions: boolean = $derived(openAiOptions(this.dialect));
  readonly suggestions = $derived(suggestPrompts(prompts.all, this.prompt));
  readonly canGenerate: boolean = $derived(!!this.provider && this.prompt.trim().length > 0 && this.compressing === 0 && !this.submitting);

  #view = $derived(this.sessionId ? new Live<SessionView | null>(() => watchSessionView(this.#db(), this.sessionId ?? ''), null) : null);

  /** The current session with its turns, tasks and images; null for a new session. */
  get view(): SessionView | null {
    return this.#view?.current ?? null;
  }

  get viewLoaded(): boolean {
    return this.#view?.loaded ?? true;
  }

  /** Picks a provider and restores the parameters last used with it. */
  selectProvider(id: string): void {
    const previous = this.provider;
    if (previous && previous.id !== id) void providers.rememberParams(previous.id, $state.snapshot(this.params) as Record<string, unknown>);
    const next = providers.byId(id);
    this.providerId = id;
    this.params = { ...((next?.params ?? {}) as StudioParams) };
  }

  setParam<K extends keyof StudioParams>(key: K, value: StudioParams[K] | ''): void {
    const next = { ...this.params };
    if (value === '' || value === undefined) delete next[key];
    else next[key] = value as StudioParams[K];
    this.params = next;
  }

  /**
   * Starts this tab's engine worker ahead of Generate, when the person starts writing a prompt:
   * its boot (script, database, leader lock: 100-200 ms here) then happens while they type, not
   * between their click and the request.
   */
  prepareEngine(): void {
    if (this.provider) startEngine();
  }

  async generate(): Promise<void> {
    const provider = this.provider;
    const prompt = this.prompt.trim();
    if (!provider || !prompt || this.compressing > 0 || this.submitting) return;
    this.submitting = true;
    this.error = '';
    try {
      const db = this.#db();
      const view = this.view;
      const request: GenerationRequest = { prompt, model: this.model, ...requestParams(this.dialect, this.model, this.params) };
      const images = await Promise.all(this.references.map(toInputImage));
      if (images.length > 0) request.images = images;
      if (this.capabilities.multiTurn && view && view.turns.length > 0) {
        const history = await loadHistory(db, view.session.turns);
        if (history.length > 0) request.history = history;
      }
      // A new session's row is written while the engine takes the task, not before: the request
      // does not wait for that write (and the sessions list it redraws).
      const sessionId = view?.session.id ?? newId();
      const [taskId] = await Promise.all([
        submit({ request, providerId: provider.id, sessionId, priority: PRIORITY.interactive }),
        view ? null : createSession(db, { id: sessionId, providerId: provider.id })
      ]);
      await addTurn(db, sessionId, { prompt, inputIds: [], taskId }, provider.id);
      this.sessionId = sessionId;
      void providers.rememberParams(provider.id, $state.snapshot(this.params) as Record<string, unknown>);
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.submitting = false;
    }
  }

  cancel(taskId: string): Promise<boolean> {
    return cancel(taskId);
  }

  retry(taskId: string): Promise<boolean> {
    return retry(taskId);
  }

  /** Starts a new, empty session (the composer keeps its provider and parameters). */
  newSession(): void {
    this.sessionId = null;
    this.prompt = '';
    this.clearReferences();
  }

  openSession(id: string | null): void {
    this.sessionId = id;
  }

  /** Compresses and adds reference images, in the order given. */
  async addFiles(files: readonly Blob[]): Promise<void> {
    const room = MAX_REFERENCES - this.references.length - this.compressing;
    const accepted = files.filter((file) => file.type.startsWith('image/')).slice(0, Math.max(0, room));
    if (accepted.length === 0) return;
    const limits = compressionLimits(this.dialect);
    this.compressing += accepted.length;
    this.error = '';
    await Promise.all(
      accepted.map(async (file, index) => {
        const name = file instanceof File ? file.name : `image-${index + 1}`;
        try {
          const image = await compressImage(file, name, limits);
          this.references = [
            ...this.references,
            { id: `ref-${++referenceSeq}`, blob: image.blob, url: URL.createObjectURL(image.blob), name, width: image.width, height: image.height }
          ];
        } catch (error) {
          this.error = error instanceof Error ? error.message : String(error);
        } finally {
          this.compressing -= 1;
        }
      })
    );
  }

  removeReference(id: string): void {
    const gone = this.references.find((ref) => ref.id === id);
    if (gone) URL.revokeObjectURL(gone.url);
    this.references = this.references.filter((ref) => ref.id !== id);
  }

  moveReference(id: string, delta: number): void {
    const from = this.references.findIndex((ref) => ref.id === id);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= this.references.length) return;
    const next = [...this.references];
    const [moved] = next.splice(from, 1);
    if (moved) next.splice(to, 0, moved);
    this.references = next;
  }

  clearReferences(): void {
    for (const ref of this.references) URL.revokeObjectURL(ref.url);
    this.references = [];
  }

  /** A saved image's full-size file, for showing a result. */
  imageBlob(imageId: string): Promise<Blob | undefined> {
    return getImageBlob(this.#db(), imageId);
  }

  /** The newest gallery images with their thumbnails, for picking a reference image. */
  async recentImages(limit = 60): Promise<{ id: string; prompt: string; thumb: Blob | undefined }[]> {
    const db = this.#db();
    const ids = (await galleryKeys(db, defaultFilter)).slice(0, limit);
    const [rows, thumbs] = await Promise.all([getImages(db, ids), getThumbs(db, ids)]);
    const prompts = new Map(rows.map((row) => [row.id, row.prompt]));
    return ids.map((id, index) => ({ id, prompt: prompts.get(id) ?? '', thumb: thumbs[index]?.blob }));
  }

  /** Uses a saved image (gallery, a result) as a reference image. */
  async useImage(imageId: string): Promise<boolean> {
    const blob = await getImageBlob(this.#db(), imageId);
    if (!blob) return false;
    await this.addFiles([blob]);
    return true;
  }

  /** Adds images another app shared to Atelier (`/?shared=<id>`, see inbox.repo.ts) as references. */
  async useShared(shareId: string): Promise<boolean> {
    const shared = await takeShared(this.#db(), shareId);
    if (!shared) {
      this.error = t('pwa.share.missing');
      return false;
    }
    await this.addFiles(shared.files);
    return true;
  }

  /**
   * Continues from a result. Chat-style dialects already send the session's images with the next
   * turn, so the result only needs to be the latest answer; other dialects take it as the input.
   */
  async continueFrom(image: ImageRecord): Promise<void> {
    const turns = this.view?.turns ?? [];
    const latest = turns.findLast((turn) => turn.images.length > 0);
    const inHistory = this.capabilities.multiTurn && latest?.images[0]?.id === image.id;
    if (!inHistory) {
      this.clearReferences();
      await this.useImage(image.id);
    }
  }

  /** Fills the composer from a saved image's recipe (the gallery's "Remix"). */
  async remix(imageId: string): Promise<boolean> {
    const image = await getImage(this.#db(), imageId);
    if (!image) return false;
    if (providers.byId(image.providerId)) this.selectProvider(image.providerId);
    const { model, n, size, aspectRatio, imageSize, quality, background, outputFormat } = image.params;
    const params: StudioParams = { model, n, size, aspectRatio, imageSize, quality, background, outputFormat };
    for (const key of Object.keys(params) as (keyof StudioParams)[]) if (params[key] === undefined) delete params[key];
    if (params.model === this.provider?.model) delete params.model;
    this.params = params;
    this.prompt = image.prompt;
    return true;
  }

  usePrompt(id: string): void {
    const chosen = prompts.all.find((prompt) => prompt.id === id);
    if (!chosen) return;
    this.prompt = chosen.text;
    void prompts.used(id);
  }

  applyPreset(preset: PresetRecord): void {
    if (preset.providerId && providers.byId(preset.providerId)) {
      this.providerId = preset.providerId;
    }
    this.params = { ...(preset.params as StudioParams) };
  }

  savePreset(name: string): Promise<PresetRecord> {
    return presets.save(name, this.provider?.id ?? null, $state.snapshot(this.params) as Record<string, unknown>);
  }

  /** Listens to the engine's live progress; returns the cleanup. */
  connect(): () => void {
    const stop = onProgress((update) => {
      const previous = this.progress[update.taskId];
      let previewUrl = previous?.previewUrl;
      if (update.preview) {
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        previewUrl = URL.createObjectURL(update.preview);
      }
      this.progress[update.taskId] = {
        text: update.text ?? previous?.text ?? '',
        percent: update.percent ?? previous?.percent,
        bytes: update.bytes ?? previous?.bytes,
        previewUrl,
        waiting: update.waiting
      };
    });
    return () => {
      stop();
      for (const entry of Object.values(this.progress)) if (entry.previewUrl) URL.revokeObjectURL(entry.previewUrl);
      this.progress = {};
    };
  }
}

async function toInputImage(ref: Reference): Promise<InputImage> {
  return { bytes: new Uint8Array(await ref.blob.arrayBuffer()), mime: ref.blob.type, name: ref.name };
}

export const studio = new StudioState();
