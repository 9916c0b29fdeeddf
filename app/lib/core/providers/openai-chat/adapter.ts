// Chat Completions that draw: OpenRouter `message.images` / `delta.images`, and markdown images in content
// (all three grok2api generations), with progress from `reasoning_content` and `<think>` blocks (FORMATS.md §2, §5).

import { ProviderError } from '../../errors';
import { markdownImageTargets, withoutMarkdownImages } from '../../extract/images';
import type { BlobTable } from '../../extract/spill';
import type { DialectAdapter, GenerationRequest, HistoryPart, ProviderConfig, ProviderEvent, ReadContext, Usage } from '../../types';
import {
  asArray,
  asRecord,
  asString,
  bearerHeaders,
  dataUrl,
  jsonRequest,
  joinUrl,
  openBody,
  parseEvent,
  percentIn,
  streamEndedError,
  throwIfError,
  usageFrom,
  withDefined
} from '../http';
import { ImageCollector } from '../results';
import { meta } from './meta';

type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

function contentOf(parts: HistoryPart[]): ContentPart[] {
  return parts.map((part) => ('text' in part ? { type: 'text', text: part.text } : { type: 'image_url', image_url: { url: dataUrl(part.image) } }));
}

function buildRequest(req: GenerationRequest, config: ProviderConfig): Request {
  if (req.mask) throw new ProviderError('bad-request', 'Chat Completions takes no mask; describe the area in the prompt instead');
  const messages: Array<{ role: string; content: string | ContentPart[] }> = [];
  for (const turn of req.history ?? []) {
    // Earlier outputs go back as assistant images so "now make it blue" edits the last picture.
    messages.push({ role: turn.role === 'model' ? 'assistant' : 'user', content: contentOf(turn.parts) });
  }
  const images = req.images ?? [];
  messages.push({
    role: 'user',
    content: images.length === 0 ? req.prompt : contentOf([{ text: req.prompt }, ...images.map((image) => ({ image }))])
  });
  const imageConfig = withDefined({}, { aspect_ratio: req.aspectRatio, image_size: req.imageSize, n: req.n && req.n > 1 ? req.n : undefined });
  const body = withDefined(
    { model: req.model, messages, modalities: ['image', 'text'] },
    {
      n: req.n && req.n > 1 ? req.n : undefined,
      image_config: Object.keys(imageConfig).length ? imageConfig : undefined,
      stream: req.stream ? true : undefined,
      ...req.extra
    }
  );
  return jsonRequest(joinUrl(config.baseUrl, 'chat/completions'), bearerHeaders(config), body);
}

/** Splits assistant content into visible text and `<think>` progress, across chunk boundaries. */
class ThinkSplitter {
  #raw = '';
  #thinkEmitted = 0;

  push(delta: string): string | undefined {
    this.#raw += delta;
    const thinking = this.#thinking();
    if (thinking.length <= this.#thinkEmitted) return undefined;
    const fresh = thinking.slice(this.#thinkEmitted);
    // Hold back an unfinished line: grok2api writes one progress line at a time.
    const lastBreak = fresh.lastIndexOf('\n');
    if (lastBreak < 0) return undefined;
    this.#thinkEmitted += lastBreak + 1;
    return fresh.slice(0, lastBreak).trim() || undefined;
  }

  get visible(): string {
    return this.#raw.replace(/<think>[\s\S]*?(<\/think>|$)/g, '');
  }

  #thinking(): string {
    let out = '';
    for (const match of this.#raw.matchAll(/<think>([\s\S]*?)(<\/think>|$)/g)) out += `${match[1]}${match[2] ? '\n' : ''}`;
    return out;
  }
}

class ChatReader {
  readonly collector = new ImageCollector();
  readonly #content = new Map<number, ThinkSplitter>();
  readonly #blobs: BlobTable = new Map();
  finishReason: string | undefined;

  /** Handles one choice of a message (JSON) or a delta (stream). */
  *choice(choice: Record<string, unknown>, part: Record<string, unknown> | undefined, blobs: BlobTable): Generator<ProviderEvent> {
    const index = typeof choice.index === 'number' ? choice.index : 0;
    const finish = asString(choice.finish_reason);
    if (finish === 'error') {
      throw new ProviderError('upstream', 'The upstream reported an error mid-stream', { code: 'finish_reason:error', retryable: true });
    }
    if (finish) this.finishReason = finish;
    if (!part) return;
    for (const [key, blob] of blobs) this.#blobs.set(key, blob);
    const reasoning = asString(part.reasoning_content) ?? asString(part.reasoning);
    if (reasoning?.trim()) yield progress(reasoning.trim());
    for (const [i, item] of asArray(part.images).entries()) {
      const record = asRecord(item);
      const source = asRecord(record?.image_url)?.url ?? record?.image_url ?? record?.url ?? item;
      const event = this.collector.final(source, blobs, { index: typeof record?.index === 'number' ? record.index : i });
      if (event) yield event;
    }
    const content = part.content;
    const text = typeof content === 'string' ? content : asArray(content).map((p) => asString(asRecord(p)?.text) ?? '').join('');
    for (const p of asArray(content)) {
      const url = asRecord(asRecord(p)?.image_url)?.url;
      if (url) {
        const event = this.collector.final(url, blobs, { index });
        if (event) yield event;
      }
    }
    if (text) {
      let splitter = this.#content.get(index);
      if (!splitter) this.#content.set(index, (splitter = new ThinkSplitter()));
      const thought = splitter.push(text);
      if (thought) yield progress(thought);
    }
  }

  /** The answer's words without images, set by finish(). */
  words = '';

  /** Markdown images and words, once all content has arrived (grok2api sends images as markdown, split anywhere). */
  *finish(): Generator<ProviderEvent> {
    const words: string[] = [];
    for (const [, splitter] of [...this.#content.entries()].sort((a, b) => a[0] - b[0])) {
      const visible = splitter.visible;
      for (const target of markdownImageTargets(visible)) {
        const event = this.collector.final(target, this.#blobs, { index: this.collector.finals });
        if (event) yield event;
      }
      const rest = withoutMarkdownImages(visible);
      if (rest) words.push(rest);
    }
    this.words = words.join('\n');
    if (this.words) yield { type: 'text', text: this.words };
  }
}

function progress(text: string): ProviderEvent {
  const percent = percentIn(text);
  return percent === undefined ? { type: 'progress', text } : { type: 'progress', text, percent };
}

async function* readResponse(res: Response, ctx: ReadContext = {}): AsyncGenerator<ProviderEvent> {
  const body = await openBody(res, ctx);
  let eventsSeen = 0;
  const reader = new ChatReader();
  let completed = false;
  let usage: Usage | undefined;
  if (body.kind === 'json') {
    throwIfError(body.value, ctx);
    const root = asRecord(body.value);
    for (const choice of asArray(root?.choices)) {
      const record = asRecord(choice);
      if (record) yield* reader.choice(record, asRecord(record.message), body.blobs);
    }
    usage = usageFrom(root?.usage);
    completed = true;
  } else {
    for await (const event of body.events) {
      eventsSeen++;
      const parsed = parseEvent(event);
      if (parsed.kind === 'done') {
        completed = true;
        break;
      }
      if (parsed.kind !== 'json') continue;
      // OpenRouter reports mid-stream failures as a chunk with a top-level error (and finish_reason "error").
      throwIfError(parsed.value, ctx);
      for (const choice of asArray(parsed.value.choices)) {
        const record = asRecord(choice);
        if (record) yield* reader.choice(record, asRecord(record.delta) ?? asRecord(record.message), parsed.blobs);
      }
      usage = usageFrom(parsed.value.usage) ?? usage;
    }
    if (reader.finishReason) completed = true;
  }
  yield* reader.finish();
  if (usage) yield { type: 'usage', usage };
  if (reader.collector.finals === 0) {
    if (!completed) throw streamEndedError(eventsSeen);
    const said = reader.words.slice(0, 500);
    throw new ProviderError(
      reader.finishReason === 'content_filter' ? 'safety' : 'no-image',
      said ? `The model answered without an image: ${said}` : 'The model answered without an image',
      reader.finishReason ? { code: reader.finishReason } : {}
    );
  }
  yield { type: 'done', complete: completed, ...(reader.finishReason ? { finishReason: reader.finishReason } : {}) };
}

export const openAiChat: DialectAdapter = { meta, buildRequest, readResponse };
