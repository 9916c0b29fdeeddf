import type { DialectMeta } from '../../types';

export const meta: DialectMeta = {
  id: 'openai-chat',
  label: 'Chat Completions (OpenRouter, grok2api, OpenAI-compatible gateways)',
  capabilities: {
    edits: true,
    mask: false,
    stream: true,
    partialImages: false,
    multiTurn: true,
    n: true,
    size: false,
    aspectRatio: true,
    imageSize: true
  },
  defaults: { model: 'google/gemini-2.5-flash-image', n: 1, stream: true }
};
