import type { DialectMeta } from '../../types';

export const meta: DialectMeta = {
  id: 'gemini',
  label: 'Google Gemini (generateContent)',
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
  defaults: { model: 'gemini-2.5-flash-image', n: 1, stream: false }
};
