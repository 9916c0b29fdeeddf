// One attempt of one task: build the request with the provider module, send it, and read the
// answer as ProviderEvents while measuring it (bytes, idle time, the raw stream for the debug
// view). The runner reports stages and progress through callbacks; persisting them, retrying and
// saving the images is the engine's job.

import { ProviderError, networkError } from '$lib/core/errors';
import { fetchImage } from '$lib/core/extract/fetch-image';
import { imageInfo } from '$lib/core/extract/sniff';
import type { DialectAdapter, GenerationRequest, ImageResult, Usage } from '$lib/core/types';
import type { ResolvedProvider } from './providers';
import type { RequestSummary, TaskStage } from '$lib/db/records';
import type { TaskProgress } from './types';

export interface AttemptDeps {
  fetch: typeof fetch;
  adapter: DialectAdapter;
  provider: ResolvedProvider;
  /** Aborts the attempt: the task's cancel, stop, or a timeout (the reason says which). */
  controller: AbortController;
  idleTimeoutMs: number;
  stage(stage: TaskStage, summary?: RequestSummary): Promise<void>;
  progress(progress: Omit<TaskProgress, 'taskId'>): void;
  /** A partial image arrived (previews are best effort). */
  partial(image: ImageResult): void;
}

export interface AttemptOutput {
  images: ImageResult[];
  /** Images of the answer that failed while others arrived. */
  failures: ProviderError[];
  usage: Usage | undefined;
  /** The response as received, truncated (head and tail), for the debug view. */
  raw: string;
}

/** How often bytes-received progress is broadcast, at most. */
const PROGRESS_INTERVAL_MS = 100;

export async function runAttempt(request: GenerationRequest, deps: AttemptDeps): Promise<AttemptOutput> {
  const { adapter, provider, controller } = deps;
  const signal = controller.signal;
  const secrets = [provider.config.apiKey];
  const httpRequest = adapter.buildRequest(request, provider.config);
  await deps.stage('waiting', summarize(httpRequest, request, adapter.meta.id));
  signal.throwIfAborted();

  const raw = new RawCapture();
  let idle: ReturnType<typeof setTimeout> | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      controller.abort(new ProviderError('timeout', `The upstream sent nothing for ${Math.round(deps.idleTimeoutMs / 1000)} s`));
    }, deps.idleTimeoutMs);
  };

  try {
    let response: Response;
    try {
      response = await deps.fetch(httpRequest, { signal });
    } catch (error) {
      throw signal.aborted ? error : networkError(error, secrets);
    }
    await deps.stage('receiving');
    armIdle();
    let bytes = 0;
    let lastReport = 0;
    const tapped = response.body
      ? tap(response.body, (chunk) => {
          armIdle();
          bytes += chunk.byteLength;
          raw.write(chunk);
          const now = Date.now();
          if (now - lastReport >= PROGRESS_INTERVAL_MS) {
            lastReport = now;
            deps.progress({ bytes });
          }
        })
      : null;
    const measured = new Response(tapped, { status: response.status, statusText: response.statusText, headers: response.headers });

    const images: ImageResult[] = [];
    const urls: { url: string; index: number; revisedPrompt?: string }[] = [];
    const failures: ProviderError[] = [];
    let usage: Usage | undefined;
    for await (const event of adapter.readResponse(measured, { signal, secrets })) {
      switch (event.type) {
        case 'progress':
          deps.progress({ text: event.text, ...(event.percent === undefined ? {} : { percent: event.percent }) });
          break;
        case 'partial':
          deps.partial(event.image);
          break;
        case 'image':
          images.push(event.image);
          break;
        case 'image-url':
          urls.push(event);
          break;
        case 'image-failed':
          failures.push(event.error);
          break;
        case 'usage':
          usage = event.usage;
          break;
        case 'text':
        case 'done':
          break;
      }
    }
    clearTimeout(idle);
    deps.progress({ bytes });

    if (urls.length > 0) {
      // URL results expire quickly: fetch them right away, one after another (they are large).
      await deps.stage('fetching');
      for (const { url, index, revisedPrompt } of urls) {
        const downloaded = await fetchImage(url, { signal, fetch: deps.fetch });
        const info = imageInfo(downloaded);
        if (!info) throw new ProviderError('parse', 'A downloaded result is not an image');
        images.push({ bytes: downloaded, ...info, index, ...(revisedPrompt ? { revisedPrompt } : {}) });
      }
    }
    if (images.length === 0) {
      throw failures[0] ?? new ProviderError('no-image', 'The upstream answered without an image', { retryable: false });
    }
    return { images, failures, usage, raw: raw.text() };
  } catch (error) {
    // The raw stream is most useful when something went wrong: keep it on the error.
    throw Object.assign(signal.aborted ? (signal.reason ?? error) : error, { [RAW]: raw.text() });
  } finally {
    clearTimeout(idle);
  }
}

/** Where a failed attempt's raw stream travels on its error. */
export const RAW = Symbol('raw upstream stream');

export function rawOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const raw = (error as { [RAW]?: unknown })[RAW];
  return typeof raw === 'string' ? raw : undefined;
}

function tap(body: ReadableStream<Uint8Array>, onChunk: (chunk: Uint8Array) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      onChunk(value);
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    }
  });
}

const SUMMARY_FIELDS = ['model', 'n', 'size', 'aspectRatio', 'imageSize', 'quality', 'background', 'outputFormat', 'stream', 'partialImages'] as const;
const PROMPT_CHARS = 500;

/** What was asked, for the debug view: no key (headers are left out), no image bytes, no query string. */
export function summarize(httpRequest: Request, request: GenerationRequest, dialect: string): RequestSummary {
  const url = new URL(httpRequest.url);
  url.search = '';
  const params: Record<string, unknown> = {
    prompt: request.prompt.length > PROMPT_CHARS ? `${request.prompt.slice(0, PROMPT_CHARS)}…` : request.prompt
  };
  for (const field of SUMMARY_FIELDS) if (request[field] !== undefined) params[field] = request[field];
  if (request.history?.length) params.historyTurns = request.history.length;
  if (request.mask) params.mask = true;
  for (const [key, value] of Object.entries(request.extra ?? {})) {
    // Extra fields may carry payloads; only short scalars are worth showing.
    if (typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && value.length <= 200)) params[key] = value;
  }
  return { method: httpRequest.method, url: url.toString(), dialect, params, inputImages: request.images?.length ?? 0 };
}

const HEAD_BYTES = 12 * 1024;
const TAIL_BYTES = 3 * 1024;

/** Keeps the first and last bytes of a response: enough to see its shape and how it ended. */
export class RawCapture {
  #head = new Uint8Array(HEAD_BYTES);
  #headLength = 0;
  #tail: Uint8Array[] = [];
  #tailLength = 0;
  #total = 0;

  write(chunk: Uint8Array): void {
    this.#total += chunk.byteLength;
    const intoHead = Math.min(HEAD_BYTES - this.#headLength, chunk.byteLength);
    if (intoHead > 0) {
      this.#head.set(chunk.subarray(0, intoHead), this.#headLength);
      this.#headLength += intoHead;
    }
    const rest = chunk.subarray(intoHead);
    if (rest.byteLength === 0) return;
    this.#tail.push(rest.byteLength > TAIL_BYTES ? rest.slice(rest.byteLength - TAIL_BYTES) : rest.slice());
    this.#tailLength += Math.min(rest.byteLength, TAIL_BYTES);
    while (this.#tail.length > 1 && this.#tailLength - this.#tail[0]!.byteLength >= TAIL_BYTES) {
      this.#tailLength -= this.#tail.shift()!.byteLength;
    }
  }

  text(): string {
    const decoder = new TextDecoder();
    const head = decoder.decode(this.#head.subarray(0, this.#headLength));
    if (this.#tailLength === 0) return head;
    const tail = new Uint8Array(this.#tailLength);
    let offset = 0;
    for (const part of this.#tail) {
      tail.set(part, offset);
      offset += part.byteLength;
    }
    const kept = tail.subarray(Math.max(0, tail.byteLength - TAIL_BYTES));
    const omitted = this.#total - this.#headLength - kept.byteLength;
    const tailText = new TextDecoder().decode(kept);
    return omitted > 0 ? `${head}\n… ${omitted} bytes omitted …\n${tailText}` : head + tailText;
  }
}
