import type { DialectMeta } from '../../types';

export const meta: DialectMeta = {
  id: 'openai-responses',
  label: 'OpenAI Responses API (image_generation tool)',
  capabilities: {
    edits: true,
    mask: true,
    stream: true,
    partialImages: true,
    multiTurn: true,
    n: false,
    size: true,
    aspectRatio: false,
    imageSize: false
  },
  defaults: { model: 'gpt-5', n: 1, stream: true }
};
