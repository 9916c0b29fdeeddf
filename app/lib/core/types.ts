// The provider layer's vocabulary, shared by the engine worker, the relay and the CLI.

import type { ProviderError } from './errors';
import type { ImageMime } from './extract/sniff';

export type { ImageMime } from './extract/sniff';

export type DialectId = 'openai-images' | 'openai-chat' | 'openai-responses' | 'gemini';
export type DialectChoice = DialectId | 'auto';

/**
 * Request-shape variants that share the openai-images paths (FORMATS.md §1, §5, §6).
 * Responses of all of them are read the same way.
 */
export type ImagesFlavor = 'openai' | 'xai' | 'openrouter' | 'seedream' | 'siliconflow';

export interface InputImage {
  bytes: Uint8Array;
  /** Sniffed from the bytes when missing. */
  mime?: string;
  name?: string;
}

export type HistoryPart =
  | { text: string; thoughtSignature?: string }
  | { image: InputImage; thoughtSignature?: string };

/** An earlier turn of a session: user prompts and inputs, and the model's answers (images go back for multi-turn edits). */
export interface HistoryTurn {
  role: 'user' | 'model';
  parts: HistoryPart[];
}

export interface GenerationRequest {
  prompt: string;
  model: string;
  /** Input images for edits / references. */
  images?: InputImage[];
  /** PNG whose transparent pixels mark the area to edit (applies to the first image). */
  mask?: InputImage;
  history?: HistoryTurn[];
  n?: number;
  /** "WxH" or "auto". */
  size?: string;
  /** "16:9" and the like. */
  aspectRatio?: string;
  /** "1K" | "2K" | "4K" (Gemini imageSize, OpenRouter resolution). */
  imageSize?: string;
  quality?: string;
  background?: string;
  outputFormat?: 'png' | 'jpeg' | 'webp';
  stream?: boolean;
  /** Partial previews to ask for while streaming (0-3). */
  partialImages?: number;
  /** Extra body fields merged last, for upstream options this layer does not model. */
  extra?: Record<string, unknown>;
}

export interface ProviderConfig {
  dialect: DialectChoice;
  /** OpenAI style: includes /v1 (or /api/v1). Gemini: the host; /v1beta is added unless present. */
  baseUrl: string;
  apiKey?: string;
  /** Extra headers (an OpenRouter HTTP-Referer, a gateway's tenant header). */
  headers?: Record<string, string>;
  /** openai-images only; detected from the base URL and model when absent. */
  imagesFlavor?: ImagesFlavor;
  /** openai-images edits as JSON `images:[{image_url}]` instead of multipart, for gateways that take only JSON. */
  editsAsJson?: boolean;
}

export interface ImageResult {
  bytes: Uint8Array;
  mime: ImageMime;
  width: number;
  height: number;
  /** Position in the answer (0-based), used to order and to pair partials with finals. */
  index: number;
  id?: string;
  revisedPrompt?: string;
  /** Gemini: send back with this image in later turns. */
  thoughtSignature?: string;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cost?: number;
}

export type ProviderEvent =
  /** Progress text: reasoning, `<think>` blocks, "正在生成 40%". */
  | { type: 'progress'; text: string; percent?: number }
  /** Assistant text that is part of the answer. */
  | { type: 'text'; text: string; thoughtSignature?: string }
  /** A preview; not a result. */
  | { type: 'partial'; image: ImageResult }
  | { type: 'image'; image: ImageResult }
  /** A final image that has to be downloaded (see fetchImage / runGeneration). */
  | { type: 'image-url'; url: string; index: number; id?: string; revisedPrompt?: string }
  /** One image of several failed while others may still arrive (Seedream partial_failed). */
  | { type: 'image-failed'; index: number; error: ProviderError }
  | { type: 'usage'; usage: Usage }
  /** `complete` is false when the stream ended without its completion event but whole images had arrived. */
  | { type: 'done'; complete: boolean; finishReason?: string };

export interface ReadContext {
  signal?: AbortSignal;
  /** Removed from every message that could reach a user (API keys). */
  secrets?: readonly (string | undefined)[];
}

export interface DialectCapabilities {
  edits: boolean;
  mask: boolean;
  stream: boolean;
  partialImages: boolean;
  multiTurn: boolean;
  n: boolean;
  size: boolean;
  aspectRatio: boolean;
  imageSize: boolean;
}

export interface DialectMeta {
  id: DialectId;
  label: string;
  capabilities: DialectCapabilities;
  defaults: { model: string; n: number; stream: boolean };
}

export interface DialectAdapter {
  meta: DialectMeta;
  buildRequest(req: GenerationRequest, config: ProviderConfig): Request;
  readResponse(res: Response, ctx?: ReadContext): AsyncIterable<ProviderEvent>;
}
