// The Responses API with the `image_generation` tool (FORMATS.md §3, and OpenRouter's variant in §2.6).

import { ProviderError, errorFromPayload } from '../../errors';
import type { BlobTable } from '../../extract/spill';
import type { DialectAdapter, GenerationRequest, ProviderConfig, ProviderEvent, ReadContext, Usage } from '../../types';
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
  streamEndedError,
  throwIfError,
  usageFrom,
  withDefined
} from '../http';
import { ImageCollector } from '../results';
import { meta } from './meta';

type InputPart = { type: 'input_text' | 'output_text'; text: string } | { type: 'input_image'; image_url: string };

function buildRequest(req: GenerationRequest, config: ProviderConfig): Request {
  const input: Array<{ role: string; content: InputPart[] }> = [];
  for (const turn of req.history ?? []) {
    if (turn.role === 'user') {
      input.push({
        role: 'user',
        content: turn.parts.map((p) => ('text' in p ? { type: 'input_text', text: p.text } : { type: 'input_image', image_url: dataUrl(p.image) }))
      });
      continue;
    }
    // Assistant messages carry text only; the earlier result goes back as an input image so the next turn can edit it.
    const text = turn.parts.flatMap((p) => ('text' in p ? [{ type: 'output_text' as const, text: p.text }] : []));
    if (text.length) input.push({ role: 'assistant', content: text });
    const images = turn.parts.flatMap((p) => ('image' in p ? [{ type: 'input_image' as const, image_url: dataUrl(p.image) }] : []));
    if (images.length) input.push({ role: 'user', content: images });
  }
  const images = req.images ?? [];
  input.push({
    role: 'user',
    content: [{ type: 'input_text', text: req.prompt }, ...images.map((image) => ({ type: 'input_image' as const, image_url: dataUrl(image) }))]
  });
  const tool = withDefined(
    { type: 'image_generation' },
    {
      size: req.size,
      quality: req.quality,
      background: req.background,
      output_format: req.outputFormat,
      partial_images: req.stream ? req.partialImages : undefined,
      input_image_mask: req.mask ? { image_url: dataUrl(req.mask) } : undefined
    }
  );
  const body = withDefined({ model: req.model, input, tools: [tool] }, { stream: req.stream ? true : undefined, ...req.extra });
  return jsonRequest(joinUrl(config.baseUrl, 'responses'), bearerHeaders(config), body);
}

class ResponsesReader {
  readonly collector = new ImageCollector();
  text = '';
  usage: Usage | undefined;

  /** One output item: an image_generation_call (deduplicated by id) or a message with text. */
  *item(item: unknown, blobs: BlobTable, ctx: ReadContext): Generator<ProviderEvent> {
    const record = asRecord(item);
    if (!record) return;
    if (record.type === 'image_generation_call') {
      const id = asString(record.id);
      if (record.status === 'failed') {
        const error = errorFromPayload({ error: record.error ?? { message: 'Image generation failed' } }, undefined, ctx.secrets);
        if (error) yield { type: 'image-failed', index: this.collector.finals, error };
        return;
      }
      const event = this.collector.final(record.result, blobs, {
        index: this.collector.finals,
        ...(id ? { id } : {}),
        ...(asString(record.revised_prompt) ? { revisedPrompt: asString(record.revised_prompt) } : {})
      });
      if (event) yield event;
    } else if (record.type === 'message' && !this.text) {
      for (const part of asArray(record.content)) this.text += asString(asRecord(part)?.text) ?? '';
    }
  }

  *response(response: Record<string, unknown>, blobs: BlobTable, ctx: ReadContext): Generator<ProviderEvent> {
    for (const item of asArray(response.output)) yield* this.item(item, blobs, ctx);
    this.usage = usageFrom(response.usage) ?? this.usage;
  }
}

/** `response.failed` / `status:"failed"`: the error is in response.error ({code, message}). */
function failure(response: Record<string, unknown>, ctx: ReadContext): ProviderError {
  return (
    errorFromPayload({ error: response.error ?? { message: 'The response failed' } }, undefined, ctx.secrets) ??
    new ProviderError('upstream', 'The response failed')
  );
}

function incomplete(response: Record<string, unknown>): ProviderError {
  const reason = asString(asRecord(response.incomplete_details)?.reason) ?? 'unknown';
  return new ProviderError(reason === 'content_filter' ? 'safety' : 'no-image', `The response ended incomplete (${reason}) without an image`, { code: reason });
}

async function* readResponse(res: Response, ctx: ReadContext = {}): AsyncGenerator<ProviderEvent> {
  const body = await openBody(res, ctx);
  let eventsSeen = 0;
  const reader = new ResponsesReader();
  let completed = false;
  let incompleteResponse: Record<string, unknown> | undefined;
  if (body.kind === 'json') {
    throwIfError(body.value, ctx);
    const response = asRecord(body.value) ?? {};
    if (response.status === 'failed') throw failure(response, ctx);
    yield* reader.response(response, body.blobs, ctx);
    if (response.status === 'incomplete') incompleteResponse = response;
    completed = true;
  } else {
    for await (const event of body.events) {
      eventsSeen++;
      const parsed = parseEvent(event);
      if (parsed.kind === 'done') break;
      if (parsed.kind !== 'json') continue;
      const { value, type, blobs } = parsed;
      if (type === 'error') throw errorFromPayload(value, undefined, ctx.secrets) ?? new ProviderError('upstream', 'The upstream reported an error');
      const response = asRecord(value.response);
      switch (type) {
        case 'response.failed':
          throw failure(response ?? {}, ctx);
        case 'response.image_generation_call.in_progress':
        case 'response.image_generation_call.generating':
          yield { type: 'progress', text: type.slice(type.lastIndexOf('.') + 1).replace('_', ' ') };
          break;
        case 'response.image_generation_call.partial_image': {
          const index = typeof value.partial_image_index === 'number' ? value.partial_image_index : 0;
          const partial = reader.collector.partial(value.partial_image_b64, blobs, { index });
          if (partial) yield partial;
          break;
        }
        case 'response.reasoning_summary_text.delta': {
          const delta = asString(value.delta);
          if (delta?.trim()) yield { type: 'progress', text: delta };
          break;
        }
        case 'response.output_item.done':
          yield* reader.item(value.item, blobs, ctx);
          break;
        case 'response.completed':
          completed = true;
          if (response) yield* reader.response(response, blobs, ctx);
          break;
        case 'response.incomplete':
          completed = true;
          if (response) {
            yield* reader.response(response, blobs, ctx);
            incompleteResponse = response;
          }
          break;
        default:
          throwIfError(value, ctx);
      }
    }
  }
  if (reader.text) yield { type: 'text', text: reader.text };
  if (reader.usage) yield { type: 'usage', usage: reader.usage };
  if (reader.collector.finals === 0) {
    if (incompleteResponse) throw incomplete(incompleteResponse);
    if (!completed) throw streamEndedError(eventsSeen);
    const said = reader.text.slice(0, 500);
    throw new ProviderError('no-image', said ? `The model answered without an image: ${said}` : 'The model answered without an image');
  }
  yield { type: 'done', complete: completed };
}

export const openAiResponses: DialectAdapter = { meta, buildRequest, readResponse };
