import { parseArgs } from 'node:util';
import { ProviderError } from '../../app/lib/core/errors.ts';
import { listModels } from '../../app/lib/core/models.ts';
import { dialectIds, isDialectChoice } from '../../app/lib/core/providers/index.ts';

export const summary = 'List the models an upstream offers';

export const usage = `Usage: atelier models --base-url <url> [options]

Prints the model ids behind a base URL, one per line. Exits 1 with "error: <kind>: <upstream
message>" on stderr when the list cannot be read (a refused key shows as "auth", a host that does
not answer as "network").

Options:
  --dialect <d>      ${['auto', ...dialectIds].join(' | ')} (default auto). Only gemini lists
                     differently (GET /v1beta/models, paged); the others use GET <base>/models
  --base-url <url>   API base, as for 'atelier generate'
  --image-only       Only models known to output images (OpenRouter says so per model; Gemini
                     ids naming "image")
  --long             Also print the label and "image" for image-capable models, tab-separated
  --timeout <s>      Give up after this many seconds (default 30)
  --api-key <key>    API key; prefer the ATELIER_API_KEY environment variable
  -h, --help         Show this help`;

const options = {
  dialect: { type: 'string', default: 'auto' },
  'base-url': { type: 'string' },
  'image-only': { type: 'boolean', default: false },
  long: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '30' },
  'api-key': { type: 'string' }
} as const;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\nRun 'atelier models --help' for the options.`);
    return 2;
  }
  const timeout = Number(values.timeout);
  const problem = !values['base-url']
    ? 'missing --base-url'
    : !isDialectChoice(values.dialect)
      ? `--dialect must be one of auto, ${dialectIds.join(', ')}`
      : !(timeout > 0)
        ? '--timeout must be a positive number of seconds'
        : undefined;
  if (problem || !isDialectChoice(values.dialect)) {
    console.error(`error: ${problem}\n\nRun 'atelier models --help' for the options.`);
    return 2;
  }
  try {
    const models = await listModels(
      { dialect: values.dialect, baseUrl: values['base-url']!, apiKey: values['api-key'] ?? process.env.ATELIER_API_KEY },
      { timeoutMs: timeout * 1000 }
    );
    for (const model of models) {
      if (values['image-only'] && model.imageOutput !== true) continue;
      console.log(values.long ? [model.id, model.label ?? '', model.imageOutput ? 'image' : ''].join('\t').trimEnd() : model.id);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    console.error(`error: ${error.kind}: ${error.message}`);
    return 1;
  }
}
