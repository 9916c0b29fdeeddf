// Output sizes of Gemini image models for imageConfig.aspectRatio / imageSize, as Google's model
// docs list them. OpenRouter's google/* image models answer with the same sizes.
import { clampDimensions, dimensionsForRatio, parseAspectRatio, type Dimensions } from '../images.ts';

type SizeTable = Record<string, [number, number]>;

// gemini-3-pro-image / gemini-3.1-flash-image at 1K; 2K and 4K double and quadruple these.
const GEMINI_3_AT_1K: SizeTable = {
  '1:1': [1024, 1024],
  '2:3': [848, 1264],
  '3:2': [1264, 848],
  '3:4': [896, 1200],
  '4:3': [1200, 896],
  '4:5': [928, 1152],
  '5:4': [1152, 928],
  '9:16': [768, 1376],
  '16:9': [1376, 768],
  '21:9': [1584, 672]
};

// gemini-2.5-flash-image has one resolution and ignores imageSize.
const GEMINI_25_FLASH: SizeTable = {
  '1:1': [1024, 1024],
  '2:3': [832, 1248],
  '3:2': [1248, 832],
  '3:4': [864, 1184],
  '4:3': [1184, 864],
  '4:5': [896, 1152],
  '5:4': [1152, 896],
  '9:16': [768, 1344],
  '16:9': [1344, 768],
  '21:9': [1536, 672]
};

const IMAGE_SIZE_SCALE: Record<string, number> = { '512': 0.5, '0.5K': 0.5, '1K': 1, '2K': 2, '4K': 4 };

export class InvalidImageConfigError extends Error {}

/** Dimensions for a model and its imageConfig; throws for values Google rejects. */
export function geminiDimensions(model: string, aspectRatio: unknown, imageSize: unknown): Dimensions {
  const ratio = typeof aspectRatio === 'string' ? aspectRatio.trim() : '1:1';
  const fixedResolution = /gemini-2\.5-flash-image/.test(model);
  const table = fixedResolution ? GEMINI_25_FLASH : GEMINI_3_AT_1K;
  let scale = 1;
  if (!fixedResolution && imageSize !== undefined) {
    const value = IMAGE_SIZE_SCALE[String(imageSize).toUpperCase()];
    if (value === undefined) throw new InvalidImageConfigError(`Invalid image size: ${String(imageSize)}. Supported values are 1K, 2K and 4K.`);
    scale = value;
  }
  const known = table[ratio];
  if (known) return clampDimensions({ width: Math.round(known[0] * scale), height: Math.round(known[1] * scale) });
  const value = parseAspectRatio(ratio);
  if (value === undefined || value > 8 || value < 1 / 8) throw new InvalidImageConfigError(`Invalid aspect ratio: ${ratio}.`);
  return dimensionsForRatio(value, 1024 * scale);
}
