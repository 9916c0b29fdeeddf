// Google Gemini API (generativelanguage.googleapis.com): generateContent and
// streamGenerateContent?alt=sse for image models, and the paged model list (FORMATS.md §4).
// Answers are camelCase; requests may be camelCase or snake_case, as the proto-JSON front end allows.
import { randomBytes } from 'node:crypto';
import { MIME_TYPES, type Dimensions, type ImageFormat } from '../images.ts';
import { SseStream } from '../sse.ts';
import { geminiDimensions, InvalidImageConfigError } from './gemini-sizes.ts';
import { generateImage, RETRY_AFTER_SECONDS, type ErrorKind, type Exchange, type Flavor, type FlavorError } from './flavor.ts';

type Json = Record<string, unknown>;

interface GeminiModel {
  id: string;
  displayName: string;
  image: boolean;
  methods: string[];
}

const GENERATE = ['generateContent', 'countTokens', 'batchGenerateContent'];

const MODELS: GeminiModel[] = [
  { id: 'gemini-2.5-flash-image', displayName: 'Nano Banana', image: true, methods: GENERATE },
  { id: 'gemini-2.5-flash-image-preview', displayName: 'Nano Banana (preview)', image: true, methods: GENERATE },
  { id: 'gemini-3-pro-image-preview', displayName: 'Nano Banana Pro', image: true, methods: GENERATE },
  { id: 'gemini-3.1-flash-image-preview', displayName: 'Nano Banana 2', image: true, methods: GENERATE },
  { id: 'gemini-2.5-flash', displayName: 'Gemini 2.5 Flash', image: false, methods: [...GENERATE, 'createCachedContent'] },
  { id: 'gemini-2.5-pro', displayName: 'Gemini 2.5 Pro', image: false, methods: [...GENERATE, 'createCachedContent'] },
  { id: 'imagen-4.0-generate-001', displayName: 'Imagen 4', image: false, methods: ['predict'] },
  { id: 'text-embedding-004', displayName: 'Text Embedding 004', image: false, methods: ['embedContent'] }
];

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/** Google's REST front end pretty-prints non-streamed JSON with two spaces. */
function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function googleError(code: number, status: string, message: string, details?: Json[], headers?: Record<string, string | number>): FlavorError {
  return { status: code, body: pretty({ error: { code, message, status, ...(details && { details }) } }), headers };
}

function geminiError(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    // Google answers a missing key with 403 and a wrong key with 400 (reason API_KEY_INVALID), not 401.
    case 'missing-key':
      return googleError(
        403,
        'PERMISSION_DENIED',
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
      );
    case 'invalid-key': {
      const message = 'API key not valid. Please pass a valid API key.';
      return googleError(400, 'INVALID_ARGUMENT', message, [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message }
      ]);
    }
    case 'rate-limited':
      return googleError(
        429,
        'RESOURCE_EXHAUSTED',
        'You exceeded your current quota, please check your plan and billing details.',
        [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${RETRY_AFTER_SECONDS}s` }
        ],
        { 'retry-after': RETRY_AFTER_SECONDS }
      );
    case 'server-error':
      return googleError(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
    case 'timeout':
      return googleError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.');
    case 'not-found':
      return googleError(404, 'NOT_FOUND', `Requested entity was not found. (${detail ?? ''})`);
    case 'bad-request':
      return googleError(400, 'INVALID_ARGUMENT', detail ?? 'Request contains an invalid argument.');
  }
}

function apiKey(exchange: { headers: Record<string, string>; query: Record<string, string> }): string | undefined {
  return exchange.headers['x-goog-api-key'] || exchange.query.key || undefined;
}

/** Reads a field under its camelCase or snake_case name. */
function field(object: unknown, camel: string): unknown {
  if (!object || typeof object !== 'object') return undefined;
  const record = object as Json;
  return record[camel] ?? record[camel.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)];
}

function promptOf(contents: unknown): string {
  if (!Array.isArray(contents)) return '';
  const texts: string[] = [];
  for (const content of contents as Json[]) {
    if (content?.role !== undefined && content.role !== 'user') continue;
    const parts = content?.parts;
    if (!Array.isArray(parts)) continue;
    for (const part of parts as Json[]) if (typeof part?.text === 'string') texts.push(part.text);
  }
  return texts.join('\n');
}

function modelInfo(model: GeminiModel): Json {
  return {
    name: `models/${model.id}`,
    version: '2.0',
    displayName: model.displayName,
    description: `${model.displayName} (test upstream).`,
    inputTokenLimit: model.image ? 32768 : 1048576,
    outputTokenLimit: model.image ? 32768 : 65536,
    supportedGenerationMethods: model.methods,
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2
  };
}

async function listModels(exchange: Exchange): Promise<void> {
  const { query } = exchange.record;
  const pageSize = Math.min(MAX_PAGE_SIZE, Number(query.pageSize) > 0 ? Math.floor(Number(query.pageSize)) : DEFAULT_PAGE_SIZE);
  const start = query.pageToken ? Number(Buffer.from(query.pageToken, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) {
    const error = geminiError('bad-request', 'Invalid page token.');
    return exchange.reply.jsonText(error.status, error.body);
  }
  const page = MODELS.slice(start, start + pageSize);
  const next = start + pageSize < MODELS.length ? Buffer.from(String(start + pageSize)).toString('base64url') : undefined;
  await exchange.reply.jsonText(200, pretty({ models: page.map(modelInfo), ...(next && { nextPageToken: next }) }));
}

/** Proto-JSON rejects these on the Gemini API (they exist only on Vertex). */
const VERTEX_ONLY_IMAGE_FIELDS = ['personGeneration', 'outputMimeType', 'outputCompressionQuality'];

async function generate(exchange: Exchange, model: GeminiModel, streamed: boolean): Promise<void> {
  const { reply, record } = exchange;
  const fail = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  const body = record.json && typeof record.json === 'object' ? (record.json as Json) : undefined;
  if (!body) return fail(geminiError('bad-request', 'Invalid JSON payload received. Unexpected end of string.'));
  const contents = field(body, 'contents');
  if (!Array.isArray(contents) || contents.length === 0) return fail(geminiError('bad-request', '* GenerateContentRequest.contents: contents is not specified\n'));

  const config = field(body, 'generationConfig');
  const modalities = (field(config, 'responseModalities') as unknown[] | undefined)?.map((value) => String(value).toUpperCase()) ?? ['TEXT', 'IMAGE'];
  const imageConfig = field(config, 'imageConfig');
  for (const name of VERTEX_ONLY_IMAGE_FIELDS) {
    if (field(imageConfig, name) !== undefined) {
      const path = `generation_config.image_config`;
      return fail(geminiError('bad-request', `Invalid JSON payload received. Unknown name "${name}" at '${path}': Cannot find field.`));
    }
  }
  if (modalities.includes('IMAGE') && !model.image) {
    return fail(geminiError('bad-request', 'Model does not support the requested response modalities: image'));
  }
  let dimensions: Dimensions;
  try {
    dimensions = geminiDimensions(model.id, field(imageConfig, 'aspectRatio'), field(imageConfig, 'imageSize'));
  } catch (error) {
    if (!(error instanceof InvalidImageConfigError)) throw error;
    return fail(geminiError('bad-request', error.message));
  }

  const prompt = promptOf(contents);
  const format: ImageFormat = /^gemini-3\.1-flash-image/.test(model.id) ? 'jpeg' : 'png';
  const request = { prompt, count: 1, dimensions, format };
  const thinks = /^gemini-3-pro-image/.test(model.id);
  const drawsImage = model.image && modalities.includes('IMAGE');
  const imageTokens = !drawsImage ? 0 : thinks ? (dimensions.width > 3000 ? 2000 : 1120) : 1290;
  const usageMetadata: Json = {
    promptTokenCount: 9,
    candidatesTokenCount: imageTokens + 12,
    totalTokenCount: 9 + imageTokens + 12 + (thinks ? 167 : 0),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 9 }],
    ...(drawsImage && { candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: imageTokens }] }),
    ...(thinks && { thoughtsTokenCount: 167 })
  };
  const envelope = { usageMetadata, modelVersion: model.id, responseId: randomBytes(16).toString('base64url').slice(0, 22) };
  const candidate = (parts: Json[] | undefined, finishReason?: string): Json => ({
    content: parts ? { parts, role: 'model' } : {},
    ...(finishReason && { finishReason }),
    index: 0
  });
  const inline = (bytes: Buffer): Json => ({ mimeType: MIME_TYPES[format], data: bytes.toString('base64') });

  const fault = exchange.knobs.fault;
  // A blocked prompt has no candidates at all; a refused image is a 200 whose content is {}.
  const refusal =
    fault === 'safety'
      ? { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, ...envelope }
      : fault === 'no-image' && drawsImage
        ? { candidates: [candidate(undefined, 'NO_IMAGE')], ...envelope }
        : undefined;

  // The answer as stream chunks; non-streamed, the same parts are merged into one candidate.
  const answerChunks = (): { parts: Json[]; role: 'progress' | 'image' }[] => {
    const chunks: { parts: Json[]; role: 'progress' | 'image' }[] = [];
    if (thinks && drawsImage) {
      chunks.push({ parts: [{ text: '**Composing the scene**\n\nLaying out the main shapes and colours first.', thought: true }], role: 'progress' });
      chunks.push({ parts: [{ inlineData: inline(generateImage(exchange, request, 0, 1).bytes), thought: true }], role: 'image' });
    }
    if (modalities.includes('TEXT') && !thinks) {
      const text = drawsImage ? "Here's the image you asked for." : `This is a test upstream. You said: ${prompt.slice(0, 200)}`;
      chunks.push({ parts: [{ text }], role: 'progress' });
    }
    if (drawsImage) {
      const signature = randomBytes(24).toString('base64');
      chunks.push({ parts: [{ inlineData: inline(generateImage(exchange, request, 0).bytes), thoughtSignature: signature }], role: 'image' });
    }
    return chunks;
  };
  const chunks = refusal ? [] : answerChunks();

  if (!streamed) {
    if (refusal) return reply.jsonText(200, pretty(refusal));
    const parts = chunks.flatMap((chunk) => chunk.parts);
    await reply.jsonText(200, pretty({ candidates: [candidate(parts, 'STOP')], ...envelope }));
    return;
  }
  if (record.query.alt !== 'sse') {
    // Without alt=sse Google streams one pretty-printed JSON array of the same chunks.
    const array = refusal ? [refusal] : [...chunks.map((chunk) => ({ candidates: [candidate(chunk.parts)], ...envelope })), { candidates: [candidate([{ text: '' }], 'STOP')], ...envelope }];
    await reply.jsonText(200, pretty(array));
    return;
  }
  const sse = new SseStream(reply, { lineEnding: '\r\n' });
  if (refusal) {
    await sse.json(refusal, { role: 'completion' });
    return sse.end();
  }
  for (const chunk of chunks) await sse.json({ candidates: [candidate(chunk.parts)], ...envelope }, { role: chunk.role });
  await sse.json({ candidates: [candidate([{ text: '' }], 'STOP')], ...envelope }, { role: 'completion' });
  sse.end();
}

const MODEL_ROUTE = /^\/v1beta\/models\/([^/:]+)(?::(generateContent|streamGenerateContent))?$/;

export const geminiFlavor: Flavor = {
  name: 'gemini',
  prefix: '/gemini',
  apiKey,
  error: geminiError,
  async handle(exchange) {
    const { method } = exchange.record;
    if (method === 'GET' && exchange.route === '/v1beta/models') {
      await listModels(exchange);
      return true;
    }
    const match = MODEL_ROUTE.exec(exchange.route);
    if (!match) return false;
    const [, id = '', action] = match;
    const model = MODELS.find((candidate) => candidate.id === decodeURIComponent(id));
    if (!model) {
      const message = `models/${id} is not found for API version v1beta, or is not supported for ${action ?? 'get'}. Call ListModels to see the list of available models and their supported methods.`;
      const error = googleError(404, 'NOT_FOUND', message);
      await exchange.reply.jsonText(error.status, error.body);
      return true;
    }
    if (method === 'GET' && !action) {
      await exchange.reply.jsonText(200, pretty(modelInfo(model)));
      return true;
    }
    if (method !== 'POST' || !action) return false;
    await generate(exchange, model, action === 'streamGenerateContent');
    return true;
  }
};
