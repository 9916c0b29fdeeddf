// `npm run upstream`: the test upstream on a fixed loopback port, for people and browser tests
// that want the whole app working offline without a key.
import { parseArgs } from 'node:util';
import { FAULT_NAMES } from './knobs.ts';
import { startUpstream } from './server.ts';

const DEFAULT_PORT = 51140;

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    latency: { type: 'string' },
    pace: { type: 'string' },
    fault: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }
});

if (values.help) {
  console.log('Usage: npm run upstream -- [--port 51140] [--latency ms] [--pace ms] [--fault name]\n(PORT in the environment also sets the port.)');
  process.exit(0);
}

const port = Number(values.port ?? process.env.PORT ?? DEFAULT_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Not a port: ${values.port ?? process.env.PORT}`);
  process.exit(2);
}

const upstream = await startUpstream({
  port,
  latencyMs: values.latency === undefined ? undefined : Number(values.latency),
  paceMs: values.pace === undefined ? undefined : Number(values.pace),
  fault: values.fault === undefined ? undefined : (values.fault as (typeof FAULT_NAMES)[number])
});

const base = upstream.url;
console.log(`Atelier test upstream listening on ${base} (loopback only). Any non-empty API key is accepted.

Base URLs:
  OpenAI          ${base}/v1   (also ${base}/openai/v1)
  OpenRouter      ${base}/openrouter/api/v1
  Gemini          ${base}/gemini   (…/v1beta/models/{model}:generateContent, key by x-goog-api-key or ?key=)
  xAI             ${base}/xai/v1
  grok2api v1     ${base}/grok2api-v1/v1
  grok2api v2     ${base}/grok2api-v2/v1
  grok2api v3     ${base}/grok2api-v3/v1
  Seedream        ${base}/seedream/api/v3
  SiliconFlow     ${base}/siliconflow/v1

Knobs per request (a prompt marker wins over a header, which wins over the server-wide setting):
  in the prompt:  [fault:NAME]  [latency:MS]  [pace:MS]
  as headers:     x-upstream-fault: NAME   x-upstream-latency: MS   x-upstream-pace: MS
  faults:         ${FAULT_NAMES.join(', ')}
  content:        [big] = noisy 3072x3072 image (PNG ~28 MB, ~38 MB as base64) for benchmarks
                  [short] = one image fewer than asked (grok2api "error" padding, Seedream partial_failed)

Control:
  GET  ${base}/__upstream/requests      what was received (bodies summarised)
  POST ${base}/__upstream/reset         forget requests and knobs
  POST ${base}/__upstream/config        {"fault":"429","latencyMs":0,"paceMs":0} server-wide
`);

const stop = () => {
  upstream.close().then(
    () => process.exit(0),
    () => process.exit(1)
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
