// OpenRouter (openrouter.ai/api/v1): chat completions with `modalities` returning
// `message.images[]` data URLs, the Images API, and its own model list shape (FORMATS.md §2).
import { DEFAULT_DIMENSIONS, MIME_TYPES, parseSize, type Dimensions, type ImageFormat } from '../images.ts';
import { SseStream } from '../sse.ts';
import { geminiDimensions, InvalidImageConfigError } from './gemini-sizes.ts';
import {
  asCount,
  asString,
  bearerKey,
  generateImage,
  generateImages,
  jsonError,
  jsonObject,
  randomHex,
  RETRY_AFTER_SECONDS,
  unixSeconds,
  type ErrorKind,
  type Exchange,
  type Flavor,
  type FlavorError
} from './flavor.ts';

type Json = Record<string, unknown>;

interface RouterModel {
  id: string;
  name: string;
  provider: string;
  input: string[];
  output: string[];
  pricing: Record<string, string>;
}

const MODELS: RouterModel[] = [
  {
    id: 'google/gemini-2.5-flash-image',
    name: 'Google: Gemini 2.5 Flash Image (Nano Banana)',
    provider: 'Google AI Studio',
    input: ['image', 'text'],
    output: ['image', 'text'],
    pricing: { prompt: '0.0000003', completion: '0.0000025', image: '0.0000003', request: '0' }
  },
  {
    id: 'google/gemini-3-pro-image-preview',
    name: 'Google: Nano Banana Pro (Gemini 3 Pro Image Preview)',
    provider: 'Google AI Studio',
    input: ['image', 'text'],
    output: ['image', 'text'],
    pricing: { prompt: '0.000002', completion: '0.000012', image: '0.000002', request: '0' }
  },
  {
    id: 'openai/gpt-5-image-mini',
    name: 'OpenAI: GPT-5 Image Mini',
    provider: 'OpenAI',
    input: ['file', 'image', 'text'],
    output: ['image', 'text'],
    pricing: { prompt: '0.0000025', completion: '0.000002', image: '0.0000025', request: '0' }
  },
  {
    id: 'black-forest-labs/flux.2-pro',
    name: 'Black Forest Labs: FLUX.2 [pro]',
    provider: 'Black Forest Labs',
    input: ['image', 'text'],
    output: ['image'],
    pricing: { prompt: '0', completion: '0', image: '0.03', request: '0' }
  },
  {
    id: 'openai/gpt-4.1-mini',
    name: 'OpenAI: GPT-4.1 Mini',
    provider: 'OpenAI',
    input: ['image', 'text', 'file'],
    output: ['text'],
    pricing: { prompt: '0.0000004', completion: '0.0000016', request: '0', image: '0' }
  },
  {
    id: 'anthropic/claude-sonnet-4.5',
    name: 'Anthropic: Claude Sonnet 4.5',
    provider: 'Anthropic',
    input: ['text', 'image', 'file'],
    output: ['text'],
    pricing: { prompt: '0.000003', completion: '0.000015', request: '0', image: '0.0048' }
  }
];

function routerError(status: number, message: string, metadata?: Json, headers?: Record<string, string | number>): FlavorError {
  return jsonError(status, { error: { message, code: status, ...(metadata && { metadata }) } }, headers);
}

function openRouterError(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    case 'missing-key':
      return routerError(401, 'No auth credentials found');
    case 'invalid-key':
      return routerError(401, 'User not found.');
    case 'rate-limited':
      return routerError(
        429,
        'Rate limit exceeded: free-models-per-min. ',
        { headers: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Date.now() + RETRY_AFTER_SECONDS * 1000) } },
        { 'retry-after': RETRY_AFTER_SECONDS }
      );
    case 'server-error':
      return routerError(500, 'Internal Server Error');
    case 'timeout':
      return routerError(504, 'Upstream request timed out', { provider_name: 'Google AI Studio' });
    case 'not-found':
      return routerError(404, `Not Found (${detail ?? ''})`);
    case 'bad-request':
      return routerError(400, detail ?? 'Bad Request');
  }
}

function generationId(): string {
  return `gen-${unixSeconds()}-${randomHex(10)}`;
}

/** Sizes like the underlying provider draws them: Gemini's table for google/*, else `size`. */
function dimensionsFor(model: string, imageConfig: Json, size?: unknown): Dimensions {
  if (model.startsWith('google/')) return geminiDimensions(model, imageConfig.aspect_ratio, imageConfig.image_size);
  return parseSize(size) ?? DEFAULT_DIMENSIONS;
}

/** All text of the user messages; image_url parts are only recorded. */
function promptOf(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  const texts: string[] = [];
  for (const message of messages as Json[]) {
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') texts.push(message.content);
    else if (Array.isArray(message.content)) {
      for (const part of message.content as Json[]) if (part?.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    }
  }
  return texts.join('\n');
}

function usageFor(imageTokens: number): Json {
  const cost = Number((0.0000003 * 12 + 0.00003 * imageTokens).toFixed(7));
  return {
    prompt_tokens: 12,
    completion_tokens: imageTokens,
    total_tokens: 12 + imageTokens,
    cost,
    is_byok: false,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0, video_tokens: 0 },
    cost_details: { upstream_inference_cost: null, upstream_inference_prompt_cost: 0.0000036, upstream_inference_completions_cost: cost - 0.0000036 },
    completion_tokens_details: { reasoning_tokens: 0, image_tokens: imageTokens }
  };
}

function moderationError(model: RouterModel, prompt: string): FlavorError {
  return routerError(403, `${model.id} requires moderation on ${model.provider}. Your input was flagged for "violence". No credits were charged.`, {
    reasons: ['violence'],
    flagged_input: prompt.slice(0, 100),
    provider_name: model.provider,
    model_slug: model.id
  });
}

async function chatCompletions(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const body = jsonObject(exchange.record);
  const send = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  if (!body) return send(routerError(400, 'Invalid JSON body'));
  const modelId = asString(body.model) ?? '';
  const model = MODELS.find((candidate) => candidate.id === modelId);
  if (!model) return send(routerError(400, `${modelId} is not a valid model ID`));
  const modalities = Array.isArray(body.modalities) ? body.modalities.map(String) : ['text'];
  const wantsImage = modalities.includes('image');
  if (wantsImage && !model.output.includes('image')) {
    return send(routerError(404, `No endpoints found that support the requested output modalities: ${modalities.join(', ')}`));
  }
  const prompt = promptOf(body.messages);
  const fault = exchange.knobs.fault;
  if (fault === 'safety') return send(moderationError(model, prompt));

  let dimensions: Dimensions;
  try {
    dimensions = dimensionsFor(model.id, (body.image_config as Json | undefined) ?? {});
  } catch (error) {
    if (!(error instanceof InvalidImageConfigError)) throw error;
    return send(routerError(400, error.message));
  }
  const drawsImage = wantsImage && fault !== 'no-image';
  const request = { prompt, count: 1, dimensions, format: 'png' as ImageFormat };
  const content = drawsImage ? '' : wantsImage ? "I can't generate that image, but I can describe it instead." : `This is a test upstream. You said: ${prompt.slice(0, 200)}`;
  const imageTokens = drawsImage ? 1290 : 24;
  const nativeFinish = model.provider.startsWith('Google') ? 'STOP' : 'stop';
  const base = { id: generationId(), provider: model.provider, model: model.id, created: unixSeconds() };
  const images = () =>
    generateImages(exchange, request).map((image, index) => ({
      type: 'image_url',
      image_url: { url: `data:${MIME_TYPES[image.format]};base64,${image.bytes.toString('base64')}` },
      index
    }));

  if (body.stream !== true) {
    const message: Json = { role: 'assistant', content, refusal: null, reasoning: null };
    if (drawsImage) message.images = images();
    // OpenRouter writes whitespace while the model works, before the JSON itself.
    await reply.json(
      200,
      {
        ...base,
        object: 'chat.completion',
        choices: [{ logprobs: null, finish_reason: 'stop', native_finish_reason: nativeFinish, index: 0, message }],
        usage: usageFor(imageTokens)
      },
      { preamble: '\n         \n         \n' }
    );
    return;
  }

  const chunk = { ...base, object: 'chat.completion.chunk' };
  const choice = (delta: Json, finish: string | null, native: string | null) => ({ index: 0, delta, finish_reason: finish, native_finish_reason: native, logprobs: null });
  const sse = new SseStream(reply);
  await sse.comment('OPENROUTER PROCESSING');
  await sse.comment('OPENROUTER PROCESSING');
  if (drawsImage) {
    await sse.json(
      { ...chunk, choices: [choice({ role: 'assistant', content: '', reasoning: null, reasoning_details: [], images: images() }, null, null)] },
      { role: 'image' }
    );
  } else {
    await sse.json({ ...chunk, choices: [choice({ role: 'assistant', content, reasoning: null, reasoning_details: [] }, null, null)] });
  }
  await sse.json({ ...chunk, choices: [choice({ role: 'assistant', content: '' }, 'stop', nativeFinish)] }, { role: 'completion' });
  await sse.json({ ...chunk, choices: [], usage: usageFor(imageTokens) });
  await sse.done();
  sse.end();
}

/** OpenRouter commits to 200 early, so a provider failure during a stream is an SSE error chunk. */
async function streamedServerError(exchange: Exchange): Promise<boolean> {
  const body = jsonObject(exchange.record);
  if (body?.stream !== true || exchange.route !== '/chat/completions') return false;
  const sse = new SseStream(exchange.reply);
  await sse.comment('OPENROUTER PROCESSING');
  await sse.json(
    {
      id: generationId(),
      object: 'chat.completion.chunk',
      created: unixSeconds(),
      model: asString(body.model) ?? '',
      provider: 'Google AI Studio',
      error: { code: 'server_error', message: 'Provider disconnected unexpectedly' },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }]
    },
    { role: 'progress' }
  );
  sse.end();
  return true;
}

async function images(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const body = jsonObject(exchange.record);
  const send = (error: FlavorError) => reply.jsonText(error.status, error.body, error.headers);
  if (!body) return send(routerError(400, 'Invalid JSON body'));
  const model = MODELS.find((candidate) => candidate.id === body.model);
  if (!model || !model.output.includes('image')) return send(routerError(400, `${String(body.model)} is not a valid image model ID`));
  const prompt = asString(body.prompt);
  if (!prompt) return send(routerError(400, 'prompt is required'));
  if (exchange.knobs.fault === 'safety') return send(moderationError(model, prompt));
  const format = (['png', 'jpeg', 'webp'].includes(String(body.output_format)) ? body.output_format : 'png') as ImageFormat;
  let dimensions: Dimensions;
  try {
    dimensions =
      parseSize(body.size) ??
      (model.id.startsWith('google/') ? geminiDimensions(model.id, body.aspect_ratio, body.resolution) : DEFAULT_DIMENSIONS);
  } catch (error) {
    if (!(error instanceof InvalidImageConfigError)) throw error;
    return send(routerError(400, error.message));
  }
  const count = exchange.knobs.fault === 'no-image' ? 0 : asCount(body.n, 1, 10);
  const request = { prompt, count, dimensions, format, transparent: body.background === 'transparent' && format !== 'jpeg' };
  const data = Array.from({ length: count }, (_, index) => {
    const image = generateImage(exchange, request, index);
    return { b64_json: image.bytes.toString('base64'), media_type: MIME_TYPES[image.format] };
  });
  const usage = usageFor(1290 * count);
  await reply.json(200, {
    created: unixSeconds(),
    data,
    usage: { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.total_tokens, cost: usage.cost }
  });
}

async function listModels(exchange: Exchange): Promise<void> {
  const wanted = exchange.record.query.output_modalities;
  const models = MODELS.filter((model) => !wanted || wanted === 'all' || wanted.split(',').some((modality) => model.output.includes(modality)));
  await exchange.reply.json(200, {
    data: models.map((model) => ({
      id: model.id,
      canonical_slug: model.id,
      hugging_face_id: '',
      name: model.name,
      created: 1758000000,
      description: `${model.name} (test upstream).`,
      context_length: 32768,
      architecture: {
        modality: `${model.input.join('+')}->${model.output.join('+')}`,
        input_modalities: model.input,
        output_modalities: model.output,
        tokenizer: model.provider.startsWith('Google') ? 'Gemini' : 'GPT',
        instruct_type: null
      },
      pricing: { ...model.pricing, web_search: '0', internal_reasoning: '0' },
      top_provider: { context_length: 32768, max_completion_tokens: 8192, is_moderated: model.provider === 'OpenAI' },
      per_request_limits: null,
      supported_parameters: ['max_tokens', 'response_format', 'seed', 'stop', 'structured_outputs', 'temperature', 'top_p'],
      default_parameters: {}
    }))
  });
}

export const openRouterFlavor: Flavor = {
  name: 'openrouter',
  prefix: '/openrouter/api/v1',
  apiKey: bearerKey,
  error: openRouterError,
  serverErrorInStream: streamedServerError,
  async handle(exchange) {
    switch (`${exchange.record.method} ${exchange.route}`) {
      case 'POST /chat/completions':
        await chatCompletions(exchange);
        return true;
      case 'POST /images':
        await images(exchange);
        return true;
      case 'GET /models':
        await listModels(exchange);
        return true;
    }
    return false;
  }
};
