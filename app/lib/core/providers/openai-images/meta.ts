import type { DialectMeta } from '../../types';

export const meta: DialectMeta = {
  id: 'openai-images',
  label: 'OpenAI Images API (and xAI, Seedream, SiliconFlow, grok2api, OpenRouter /images)',
  capabilities: {
    edits: true,
    mask: true,
    stream: true,
    partialImages: true,
    multiTurn: false,
    n: true,
    size: true,
    aspectRatio: true,
    imageSize: true
  },
  defaults: { model: 'gpt-image-1', n: 1, stream: false }
};
