// Random, truncated and hostile bodies through every dialect's reader: the only failures are ProviderErrors,
// nothing hangs, and nothing that is not an image comes out as one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../errors';
import { adapters } from '../providers/index';
import { b64, chunkedResponse, collect, dataUrlOf, pngBytes } from '../testing/images';
import type { ProviderEvent } from '../types';
import { resolveImageSource } from './images';
import { imageInfo } from './sniff';

const png = pngBytes(3, 2, 7);
const notImage = new TextEncoder().encode('GIF8 but not really, just text pretending to be an image '.repeat(4));

const hostileString = fc.oneof(
  fc.string(),
  fc.constant(''),
  fc.constant('error'),
  fc.constant(b64(notImage)),
  fc.constant(`data:image/png;base64,${b64(notImage)}`),
  fc.constant('data:image/png;base64,!!!not base64!!!'),
  fc.constant(b64(png)),
  fc.constant(dataUrlOf(png)),
  fc.constant(`![image](data:image/png;base64,${b64(notImage)})`),
  fc.constant('A'.repeat(100_001)),
  fc.constant('data:image/png;base64,' + 'QUFB'.repeat(30_000)),
  fc.constant('http://127.0.0.1:1/x.png'),
  fc.string({ unit: 'binary', maxLength: 200 })
);

const imageField = fc.constantFrom('b64_json', 'url', 'result', 'data', 'partial_image_b64', 'content', 'image_url');

/** Shapes close to real ones, filled with hostile values, so readers get past their first checks. */
const shaped = fc.oneof(
  fc.record({ data: fc.array(fc.oneof(fc.dictionary(imageField, hostileString), hostileString), { maxLength: 4 }) }),
  fc.record({ images: fc.array(fc.record({ url: hostileString }), { maxLength: 3 }) }),
  fc.record({ type: fc.constantFrom('image_generation.completed', 'image_generation.partial_image', 'image_edit.completed', 'image_generation.partial_succeeded', 'response.output_item.done', 'error'), b64_json: hostileString, item: fc.record({ type: fc.constant('image_generation_call'), id: fc.string(), result: hostileString }) }),
  fc.record({ choices: fc.array(fc.record({ index: fc.nat(3), delta: fc.record({ content: hostileString, images: fc.array(fc.record({ image_url: fc.record({ url: hostileString }) }), { maxLength: 2 }) }), finish_reason: fc.option(fc.constantFrom('stop', 'error', 'length')) }), { maxLength: 2 }) }),
  fc.record({ candidates: fc.array(fc.record({ content: fc.record({ parts: fc.array(fc.oneof(fc.record({ text: hostileString }), fc.record({ inlineData: fc.record({ mimeType: fc.constant('image/png'), data: hostileString }), thought: fc.boolean() })), { maxLength: 3 }) }), finishReason: fc.constantFrom('STOP', 'NO_IMAGE', 'IMAGE_SAFETY') }), { maxLength: 2 }) }),
  fc.record({ output: fc.array(fc.record({ type: fc.constant('image_generation_call'), id: fc.string(), result: hostileString }), { maxLength: 2 }) }),
  fc.jsonValue({ maxDepth: 6 })
);

function assertOnlyImages(events: ProviderEvent[]): void {
  for (const event of events) {
    if (event.type === 'image' || event.type === 'partial') {
      const info = imageInfo(event.image.bytes);
      expect(info?.mime).toBe(event.image.mime);
    }
  }
}

function assertTypedFailure(error: unknown): void {
  if (error !== undefined) expect(error).toBeInstanceOf(ProviderError);
}

const asBody = fc.tuple(fc.array(shaped, { minLength: 1, maxLength: 4 }), fc.constantFrom('json', 'sse', 'sse-crlf'), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 4096 }));

describe('extractor under random and hostile input', () => {
  it('yields only real images and fails only with ProviderErrors, for every dialect', async () => {
    await fc.assert(
      fc.asyncProperty(asBody, fc.constantFrom(...Object.values(adapters)), async ([values, framing, cut, chunkSize], adapter) => {
        const eol = framing === 'sse-crlf' ? '\r\n' : '\n';
        const full = framing === 'json' ? JSON.stringify(values[0]) : values.map((v) => `data: ${JSON.stringify(v)}${eol}${eol}`).join('');
        const truncated = full.slice(0, Math.max(0, Math.floor(full.length * (cut < 0.5 ? 1 : cut))));
        const res = chunkedResponse(truncated, framing === 'json' ? 'application/json' : 'text/event-stream', { chunkSize });
        const { events, error } = await collect(adapter.readResponse(res));
        assertOnlyImages(events);
        assertTypedFailure(error);
      }),
      { numRuns: 300 }
    );
  }, 120_000);

  it('survives random bytes under any content type', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom('application/json', 'text/event-stream', 'text/plain', ''), fc.constantFrom(...Object.values(adapters)), async (bytes, type, adapter) => {
        const { events, error } = await collect(adapter.readResponse(chunkedResponse(bytes, type, { chunkSize: 97 })));
        assertOnlyImages(events);
        assertTypedFailure(error);
      }),
      { numRuns: 200 }
    );
  }, 60_000);

  it('handles deep nesting and a huge non-image string without throwing untyped errors', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    for (const adapter of Object.values(adapters)) {
      assertTypedFailure((await collect(adapter.readResponse(chunkedResponse(deep, 'application/json', { chunkSize: 65536 })))).error);
      const huge = JSON.stringify({ data: [{ b64_json: 'QUJD'.repeat(1_000_000) }], choices: [{ message: { content: 'x'.repeat(1_000_000) } }] });
      const { events, error } = await collect(adapter.readResponse(chunkedResponse(huge, 'application/json', { chunkSize: 65536 })));
      assertOnlyImages(events);
      expect(error).toBeInstanceOf(ProviderError);
    }
  }, 60_000);

  it('resolves any string without throwing', () => {
    fc.assert(
      fc.property(hostileString, (value) => {
        const source = resolveImageSource(value);
        expect(source === null || source.kind === 'url' || source.bytes.length > 0).toBe(true);
      })
    );
  });
});
