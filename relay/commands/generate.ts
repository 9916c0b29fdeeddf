import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ProviderError, isAbortError } from '../../app/lib/core/errors.ts';
import { extensionFor } from '../../app/lib/core/extract/sniff.ts';
import { dialectIds, generate, isDialectChoice } from '../../app/lib/core/providers/index.ts';
import type { GenerationRequest, InputImage, ProviderConfig } from '../../app/lib/core/types.ts';

export const summary = 'Generate or edit images through any supported upstream and save them';

export const usage = `Usage: atelier generate --base-url <url> --model <name> --prompt <text> [options]

Sends one generation to an upstream image API, saves each final image and prints one JSON line per
saved image: {"file","mime","width","height","bytes","sha256"}. Exits 0 when at least one image was
saved; otherwise 1, with "error: <kind>: <upstream message>" on stderr (2 for a bad command line).

Options:
  --dialect <d>         ${['auto', ...dialectIds].join(' | ')} (default auto: chosen
                        from the base URL and model; the choice is reported on stderr)
  --base-url <url>      API base. OpenAI-style includes /v1 (or /api/v1); Gemini is the host
                        (/v1beta is added unless present)
  --model <name>        Model id, e.g. gpt-image-1, google/gemini-2.5-flash-image
  --prompt <text>       What to draw, or how to change the input images
  --image <file>        Input image for edits; repeat for several
  --mask <file>         PNG whose transparent pixels mark the area to edit (openai-images,
                        openai-responses)
  --n <k>               Number of images to ask for
  --size <WxH>          Output size, e.g. 1024x1024 (or auto)
  --aspect-ratio <r>    Aspect ratio, e.g. 16:9 (Gemini, OpenRouter, xAI, grok2api)
  --image-size <s>      1K | 2K | 4K (Gemini imageSize, OpenRouter/xAI resolution)
  --stream              Ask for a streamed answer (progress and previews go to stderr)
  --timeout <s>         Give up after this many seconds (default 300)
  --out <dir>           Directory for the images (default ./out)
  --api-key <key>       API key; prefer the ATELIER_API_KEY environment variable, which keeps
                        the key out of the shell history and process list
  -h, --help            Show this help

Files are named by time, position and content hash, with the extension of what the bytes are
(never what the upstream claims).`;

const options = {
  dialect: { type: 'string', default: 'auto' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  prompt: { type: 'string' },
  image: { type: 'string', multiple: true },
  mask: { type: 'string' },
  n: { type: 'string' },
  size: { type: 'string' },
  'aspect-ratio': { type: 'string' },
  'image-size': { type: 'string' },
  stream: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '300' },
  out: { type: 'string', default: 'out' },
  'api-key': { type: 'string' }
} as const;

class UsageError extends Error {}

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`--${name} must be a positive number, not "${value}"`);
  return number;
}

async function readImage(path: string): Promise<InputImage> {
  try {
    return { bytes: new Uint8Array(await readFile(path)), name: basename(path) };
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\nRun 'atelier generate --help' for the options.`);
    return 2;
  }
  let req: GenerationRequest;
  let config: ProviderConfig;
  let timeoutMs: number;
  try {
    const missing = (['base-url', 'model', 'prompt'] as const).filter((name) => !values[name]);
    if (missing.length) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
    if (!isDialectChoice(values.dialect)) throw new UsageError(`--dialect must be one of auto, ${dialectIds.join(', ')}`);
    const n = positiveNumber('n', values.n);
    if (n !== undefined && !Number.isInteger(n)) throw new UsageError('--n must be a whole number');
    timeoutMs = (positiveNumber('timeout', values.timeout) ?? 300) * 1000;
    req = { prompt: values.prompt!, model: values.model! };
    if (values.image?.length) req.images = await Promise.all(values.image.map(readImage));
    if (values.mask) req.mask = await readImage(values.mask);
    if (n !== undefined) req.n = n;
    if (values.size) req.size = values.size;
    if (values['aspect-ratio']) req.aspectRatio = values['aspect-ratio'];
    if (values['image-size']) req.imageSize = values['image-size'].toUpperCase();
    if (values.stream) req.stream = true;
    config = { dialect: values.dialect, baseUrl: values['base-url']!, apiKey: values['api-key'] ?? process.env.ATELIER_API_KEY };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\nRun 'atelier generate --help' for the options.`);
    return 2;
  }

  try {
    const result = await generate(req, config, { timeoutMs });
    if (values.dialect === 'auto') console.error(`dialect: ${result.dialect}`);
    for (const failure of result.failures) console.error(`warning: one image failed: ${failure.kind}: ${failure.message}`);
    if (!result.complete) console.error('warning: the stream ended before the upstream reported completion');
    await mkdir(values.out, { recursive: true });
    const when = stamp(new Date());
    for (const [position, image] of result.images.entries()) {
      const sha256 = createHash('sha256').update(image.bytes).digest('hex');
      const file = join(values.out, `atelier-${when}-${position + 1}-${sha256.slice(0, 8)}.${extensionFor(image.mime)}`);
      await writeFile(file, image.bytes);
      console.log(JSON.stringify({ file, mime: image.mime, width: image.width, height: image.height, bytes: image.bytes.length, sha256 }));
    }
    return result.images.length > 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof ProviderError) {
      console.error(`error: ${error.kind}: ${error.message}`);
      return 1;
    }
    if (isAbortError(error)) {
      console.error('error: canceled');
      return 130;
    }
    throw error;
  }
}
