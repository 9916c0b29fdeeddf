// OpenAI Responses API with the image_generation tool (FORMATS.md §3): the final image is bare
// base64 in an `image_generation_call` item, and when streamed it arrives twice (in
// response.output_item.done and again in response.completed).
import { DEFAULT_DIMENSIONS, formatSize, parseSize, type ImageFormat } from '../images.ts';
import { SseStream } from '../sse.ts';
import { asString, generateImage, jsonObject, outputDimensions, randomHex, unixSeconds, type Exchange, type ImageRequest } from './flavor.ts';
import { MODERATION_MESSAGE } from './openai-images.ts';
import { NOT_JSON_MESSAGE, openaiErrorBody, openaiHeaders } from './openai.ts';

type Json = Record<string, unknown>;

const TOOL_DEFAULTS = {
  type: 'image_generation',
  background: 'auto',
  moderation: 'auto',
  n: 1,
  output_compression: 100,
  output_format: 'png',
  quality: 'auto',
  size: 'auto'
};

/** The prompt text of `input`: a string, or messages whose content is a string or input_text parts. */
function inputText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input)) return '';
  const texts: string[] = [];
  for (const item of input as Json[]) {
    const content = item?.content;
    if (typeof content === 'string') texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content as Json[]) if (part?.type === 'input_text' && typeof part.text === 'string') texts.push(part.text);
    }
  }
  return texts.join('\n');
}

function id(prefix: string): string {
  return `${prefix}_${randomHex(25)}`;
}

export async function handleResponses(exchange: Exchange): Promise<void> {
  const { reply } = exchange;
  const headers = openaiHeaders();
  const body = jsonObject(exchange.record);
  if (!body) return void (await reply.json(400, openaiErrorBody(NOT_JSON_MESSAGE, 'invalid_request_error'), { headers }));
  const prompt = inputText(body.input);
  const model = asString(body.model) ?? 'gpt-5';
  const requestTools = Array.isArray(body.tools) ? (body.tools as Json[]) : [];
  const imageTool = requestTools.find((tool) => tool?.type === 'image_generation');
  const tools = requestTools.map((tool) => (tool?.type === 'image_generation' ? { ...TOOL_DEFAULTS, ...tool } : tool));
  const fault = exchange.knobs.fault;
  const drawsImage = imageTool !== undefined && fault !== 'no-image';

  const tool: Json = { ...TOOL_DEFAULTS, ...imageTool };
  const format = (['png', 'jpeg', 'webp'].includes(String(tool.output_format)) ? tool.output_format : 'png') as ImageFormat;
  const dimensions = (tool.size === 'auto' ? DEFAULT_DIMENSIONS : parseSize(tool.size)) ?? DEFAULT_DIMENSIONS;
  const background = tool.background === 'transparent' && format !== 'jpeg' ? 'transparent' : 'opaque';
  const quality = tool.quality === 'auto' ? 'high' : String(tool.quality);
  const partialCount = Math.min(3, Math.max(0, Number(tool.partial_images ?? 0) || 0));
  const request: ImageRequest = { prompt, count: 1, dimensions, format, transparent: background === 'transparent' };
  const imageMeta = { background, output_format: format, quality };
  const size = formatSize(outputDimensions(exchange, dimensions));

  const createdAt = unixSeconds();
  const responseId = id('resp');
  const reasoning: Json = { id: id('rs'), type: 'reasoning', summary: [] };
  const imageCallId = id('ig');
  const answer = drawsImage ? '' : imageTool ? "I'm sorry, but I can't create that image." : `This is a test upstream. You said: ${prompt.slice(0, 200)}`;
  const message: Json = {
    id: id('msg'),
    type: 'message',
    status: 'completed',
    content: [{ type: 'output_text', annotations: [], logprobs: [], text: answer }],
    role: 'assistant'
  };
  const usage = {
    input_tokens: 2941,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 1249,
    output_tokens_details: { reasoning_tokens: 1024 },
    total_tokens: 4190
  };
  const envelope = (status: string, output: Json[], extra: Json = {}): Json => ({
    id: responseId,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: null,
    max_tool_calls: null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: null,
    reasoning: { effort: 'medium', summary: null },
    safety_identifier: null,
    service_tier: 'auto',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools,
    top_logprobs: 0,
    top_p: 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: {},
    ...extra
  });
  const failed = (): Json =>
    envelope('failed', [], { error: { code: 'moderation_blocked', message: MODERATION_MESSAGE } });
  const imageItem = (): Json => ({
    id: imageCallId,
    type: 'image_generation_call',
    status: 'completed',
    ...imageMeta,
    result: generateImage(exchange, request, 0).bytes.toString('base64'),
    revised_prompt: prompt,
    size
  });

  if (body.stream !== true) {
    if (fault === 'safety') return void (await reply.json(200, failed(), { headers }));
    const output = drawsImage ? [reasoning, imageItem(), message] : [reasoning, message];
    await reply.json(200, envelope('completed', output, { usage }), { headers });
    return;
  }

  const sse = new SseStream(reply, { headers });
  let sequence = 0;
  const emit = (type: string, fields: Json, role?: 'image' | 'completion') =>
    sse.json({ type, sequence_number: sequence++, ...fields }, { event: type, role });

  await emit('response.created', { response: envelope('in_progress', []) });
  await emit('response.in_progress', { response: envelope('in_progress', []) });
  let outputIndex = 0;
  const output: Json[] = [];
  if (fault !== 'safety') {
    await emit('response.output_item.added', { output_index: outputIndex, item: reasoning });
    await emit('response.output_item.done', { output_index: outputIndex, item: reasoning });
    output.push(reasoning);
    outputIndex++;
  }
  if (imageTool) {
    const index = outputIndex;
    const item_id = imageCallId;
    await emit('response.output_item.added', { output_index: index, item: { id: item_id, type: 'image_generation_call', status: 'in_progress' } });
    await emit('response.image_generation_call.in_progress', { output_index: index, item_id });
    if (fault === 'safety') {
      await emit('response.failed', { response: failed() }, 'completion');
      return sse.end();
    }
    if (drawsImage) {
      await emit('response.image_generation_call.generating', { output_index: index, item_id });
      for (let stage = 0; stage < partialCount && sse.open; stage++) {
        const partial_image_b64 = generateImage(exchange, request, 0, stage).bytes.toString('base64');
        await emit(
          'response.image_generation_call.partial_image',
          { output_index: index, item_id, partial_image_index: stage, partial_image_b64, size, ...imageMeta },
          'image'
        );
      }
      await emit('response.image_generation_call.completed', { output_index: index, item_id });
      if (!sse.open) return;
      const item = imageItem();
      await emit('response.output_item.done', { output_index: index, item }, 'image');
      output.push(item);
      outputIndex++;
    }
  }
  const messageIndex = outputIndex;
  const item_id = message.id;
  const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
  await emit('response.output_item.added', { output_index: messageIndex, item: { ...message, status: 'in_progress', content: [] } });
  await emit('response.content_part.added', { item_id, output_index: messageIndex, content_index: 0, part });
  if (answer) await emit('response.output_text.delta', { item_id, output_index: messageIndex, content_index: 0, delta: answer, logprobs: [] });
  await emit('response.output_text.done', { item_id, output_index: messageIndex, content_index: 0, text: answer, logprobs: [] });
  await emit('response.content_part.done', { item_id, output_index: messageIndex, content_index: 0, part: { ...part, text: answer } });
  await emit('response.output_item.done', { output_index: messageIndex, item: message });
  output.push(message);
  await emit('response.completed', { response: envelope('completed', output, { service_tier: 'default', usage }) }, 'completion');
  sse.end();
}
