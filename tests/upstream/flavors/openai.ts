// OpenAI (api.openai.com): Images API, Chat Completions (text only), Responses with the
// image_generation tool, and the model list. Served at the root and under /openai.
import { SseStream } from '../sse.ts';
import { handleImages } from './openai-images.ts';
import { handleResponses } from './openai-responses.ts';
import {
  bearerKey,
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

export function openaiErrorBody(message: string, type: string, param: string | null = null, code: string | null = null): unknown {
  return { error: { message, type, param, code } };
}

function openaiError(kind: ErrorKind, detail?: string): FlavorError {
  switch (kind) {
    case 'missing-key':
      return jsonError(
        401,
        openaiErrorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth " +
            '(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you\'re accessing the API ' +
            'from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.',
          'invalid_request_error'
        )
      );
    case 'invalid-key':
      return jsonError(
        401,
        openaiErrorBody(
          `Incorrect API key provided: ${detail ?? ''}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          'invalid_request_error',
          null,
          'invalid_api_key'
        )
      );
    case 'rate-limited':
      return jsonError(
        429,
        openaiErrorBody(
          `Rate limit reached for images per minute (IPM) in organization org-upstream: Limit 5, Used 5, Requested 1. ` +
            `Please try again in ${RETRY_AFTER_SECONDS}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          'requests',
          null,
          'rate_limit_exceeded'
        ),
        { 'retry-after': RETRY_AFTER_SECONDS, 'x-ratelimit-remaining-requests': 0 }
      );
    case 'server-error':
      return jsonError(500, openaiErrorBody('The server had an error while processing your request. Sorry about that!', 'server_error'));
    case 'timeout':
      return jsonError(504, openaiErrorBody('Gateway timeout. Please try again.', 'server_error', null, 'gateway_timeout'));
    case 'not-found':
      return jsonError(404, openaiErrorBody(`Invalid URL (${detail ?? ''})`, 'invalid_request_error'));
    case 'bad-request':
      return jsonError(400, openaiErrorBody(detail ?? 'Bad request.', 'invalid_request_error'));
  }
}

export const NOT_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. " +
  'The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)';

/** Headers OpenAI puts on every answer; tests and the app's logs read the request id. */
export function openaiHeaders(): Record<string, string> {
  return { 'x-request-id': `req_${randomHex(16)}`, 'openai-processing-ms': '42', 'openai-version': '2020-10-01' };
}

const MODELS = [
  ['gpt-image-2', 1775000000],
  ['gpt-image-1.5', 1765000000],
  ['gpt-image-1', 1745000000],
  ['gpt-image-1-mini', 1759000000],
  ['chatgpt-image-latest', 1765000000],
  ['dall-e-3', 1698785189],
  ['dall-e-2', 1698798177],
  ['gpt-5', 1754425777],
  ['gpt-4.1-mini', 1744318173]
] as const;

async function listModels(exchange: Exchange): Promise<void> {
  await exchange.reply.json(
    200,
    { object: 'list', data: MODELS.map(([id, created]) => ({ id, object: 'model', created, owned_by: 'system' })) },
    { headers: openaiHeaders() }
  );
}

/** The last user text of a chat request, for the canned answer. */
function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as { role?: unknown; content?: unknown } | undefined;
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.content)) {
      return message.content
        .map((part: { type?: unknown; text?: unknown }) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
        .join(' ');
    }
  }
  return '';
}

/** Chat Completions: a short text answer. Images are drawn through the Images and Responses APIs. */
async function chatCompletions(exchange: Exchange): Promise<void> {
  const body = jsonObject(exchange.record);
  if (!body) return void (await exchange.reply.json(400, openaiErrorBody(NOT_JSON_MESSAGE, 'invalid_request_error'), { headers: openaiHeaders() }));
  const model = typeof body.model === 'string' ? body.model : 'gpt-4.1-mini';
  const prompt = lastUserText(body.messages);
  const content = `This is a test upstream. OpenAI chat models answer in text; you said: ${prompt.slice(0, 200)}`;
  const id = `chatcmpl-${randomHex(15)}`;
  const created = unixSeconds();
  const usage = {
    prompt_tokens: 12,
    completion_tokens: 20,
    total_tokens: 32,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 }
  };
  const base = { id, object: 'chat.completion', created, model, service_tier: 'default', system_fingerprint: null };

  if (body.stream !== true) {
    await exchange.reply.json(
      200,
      {
        ...base,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
        usage
      },
      { headers: openaiHeaders() }
    );
    return;
  }
  const chunk = { ...base, object: 'chat.completion.chunk' };
  const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const stream = new SseStream(exchange.reply, { headers: openaiHeaders() });
  await stream.json({ ...chunk, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }] });
  for (const word of content.split(/(?<= )/)) {
    await stream.json({ ...chunk, choices: [{ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }] });
  }
  await stream.json({ ...chunk, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }, { role: 'completion' });
  if (includeUsage) await stream.json({ ...chunk, choices: [], usage });
  await stream.done();
  stream.end();
}

export function createOpenAiFlavor(prefix: string): Flavor {
  const flavor: Flavor = {
    name: 'openai',
    prefix,
    apiKey: bearerKey,
    error: openaiError,
    async handle(exchange) {
      const route = `${exchange.record.method} ${exchange.route}`;
      switch (route) {
        case 'POST /v1/images/generations':
          await handleImages(exchange, 'generation');
          return true;
        case 'POST /v1/images/edits':
          await handleImages(exchange, 'edit');
          return true;
        case 'POST /v1/chat/completions':
          await chatCompletions(exchange);
          return true;
        case 'POST /v1/responses':
          await handleResponses(exchange);
          return true;
        case 'GET /v1/models':
          await listModels(exchange);
          return true;
      }
      return false;
    }
  };
  return flavor;
}
