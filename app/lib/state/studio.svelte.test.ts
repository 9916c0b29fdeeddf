import { describe, expect, it, vi } from 'vitest';

// The page-side engine bridge starts a worker on use; request building never calls it.
vi.mock('$lib/engine/bridge', () => ({ PRIORITY: { batch: 0, interactive: 10 } }));
const { requestParams } = await import('./studio.svelte');

describe('requestParams', () => {
  const everything = { size: '1024x1536', aspectRatio: '16:9', imageSize: '2K', quality: 'high', background: 'transparent', outputFormat: 'webp', n: 3 } as const;

  it('sends a chat dialect only what it understands', () => {
    expect(requestParams('openai-chat', 'google/gemini-2.5-flash-image', everything)).toEqual({ aspectRatio: '16:9', imageSize: '2K', n: 3, stream: true });
  });

  it('streams partial previews from gpt-image models on the Images API, not from DALL·E', () => {
    expect(requestParams('openai-images', 'gpt-image-1', { quality: 'high' })).toEqual({ quality: 'high', stream: true, partialImages: 2 });
    expect(requestParams('openai-images', 'dall-e-3', { size: '1024x1024' })).toEqual({ size: '1024x1024', stream: false });
  });

  it('leaves out the count for the Responses API and one image everywhere', () => {
    expect(requestParams('openai-responses', 'gpt-5', { n: 2, size: '1024x1024', aspectRatio: '1:1' })).toEqual({ size: '1024x1024', stream: true, partialImages: 2 });
    expect(requestParams('gemini', 'gemini-2.5-flash-image', { n: 1, imageSize: '4K', quality: 'high' })).toEqual({ imageSize: '4K', stream: false });
  });
});
