// `auto`: choosing a dialect (and an images request flavor) from the base URL and the model name.

import type { DialectId, ImagesFlavor } from '../types';

export interface Detection {
  dialect: DialectId;
  /** Why, in words a settings screen can show. */
  reason: string;
}

interface Where {
  host: string;
  /** Lower-case path segments of the base URL. */
  segments: string[];
  path: string;
}

function where(baseUrl: string): Where {
  try {
    const url = new URL(baseUrl.trim());
    const path = url.pathname.toLowerCase().replace(/\/+$/, '');
    return { host: url.hostname.toLowerCase(), path, segments: path.split('/').filter(Boolean) };
  } catch {
    return { host: '', path: '', segments: [] };
  }
}

/** A provider named by the host or by a path segment (gateways route `/xai/v1`, `/google-ai-studio/v1beta`). */
function names(w: Where, hosts: RegExp, segment: RegExp): boolean {
  return hosts.test(w.host) || w.segments.some((s) => segment.test(s));
}

const IMAGES_MODELS = /^(gpt-image|dall-e|chatgpt-image|grok-2-image|grok-imagine|doubao-seed(ream|edit)|seedream|seededit|kwai-kolors|black-forest-labs|stabilityai|flux|sd3|stable-diffusion|qwen\/qwen-image|imagen)/i;
const RESPONSES_MODELS = /^(gpt-4\.1|gpt-4o|gpt-5|o3|o4)/i;

export function detectDialect(baseUrl: string, model: string): Detection {
  const w = where(baseUrl);
  const m = model.trim().replace(/^models\//, '');
  if (w.path.endsWith('/openai') && w.segments.includes('v1beta')) {
    return { dialect: 'openai-chat', reason: "Gemini's OpenAI-compatible endpoint speaks Chat Completions" };
  }
  if (names(w, /(^|\.)generativelanguage\.googleapis\.com$|aiplatform\.googleapis\.com$/, /^(gemini|google-ai-studio|v1beta|v1alpha)$/)) {
    return { dialect: 'gemini', reason: 'the base URL is a Gemini API endpoint' };
  }
  if (names(w, /(^|\.)openrouter\.ai$/, /^openrouter$/)) {
    return { dialect: 'openai-chat', reason: 'OpenRouter serves image models through Chat Completions with modalities' };
  }
  if (IMAGES_MODELS.test(m)) {
    return { dialect: 'openai-images', reason: `"${m}" is an image model served at /images/generations` };
  }
  if (/^gemini-/i.test(m) && !w.segments.includes('v1')) {
    return { dialect: 'gemini', reason: `"${m}" is a Gemini model and the base URL is not OpenAI-style` };
  }
  if (names(w, /(^|\.)api\.x\.ai$|volces\.com$|bytepluses\.com$|siliconflow\.(cn|com)$/, /^(xai|seedream|siliconflow)$/)) {
    return { dialect: 'openai-images', reason: 'the base URL is an images-only API' };
  }
  if (/(^|\.)api\.openai\.com$/.test(w.host) && RESPONSES_MODELS.test(m)) {
    return { dialect: 'openai-responses', reason: `"${m}" draws through the Responses image_generation tool` };
  }
  return { dialect: 'openai-chat', reason: 'an OpenAI-compatible gateway: Chat Completions is the common ground' };
}

/** Which request shape `/images/*` takes at this base URL and model. */
export function detectImagesFlavor(baseUrl: string, model: string): ImagesFlavor {
  const w = where(baseUrl);
  if (names(w, /(^|\.)openrouter\.ai$/, /^openrouter$/)) return 'openrouter';
  if (names(w, /(^|\.)api\.x\.ai$/, /^xai$/)) return 'xai';
  if (names(w, /volces\.com$|bytepluses\.com$/, /^seedream$/) || /^(doubao-seed|seedream|seededit)/i.test(model)) return 'seedream';
  if (names(w, /siliconflow\.(cn|com)$/, /^siliconflow$/)) return 'siliconflow';
  return 'openai';
}
