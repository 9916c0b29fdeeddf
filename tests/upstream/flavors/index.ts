// Every service the upstream plays, chosen by base path the way real services are chosen by host.
// OpenAI at the root comes last and answers whatever no other flavor claims.
import type { Flavor } from './flavor.ts';
import { geminiFlavor } from './gemini.ts';
import { grok2apiV1Flavor } from './grok2api-v1.ts';
import { grok2apiV2Flavor } from './grok2api-v2.ts';
import { grok2apiV3Flavor } from './grok2api-v3.ts';
import { createOpenAiFlavor } from './openai.ts';
import { openRouterFlavor } from './openrouter.ts';
import { seedreamFlavor } from './seedream.ts';
import { siliconFlowFlavor } from './siliconflow.ts';
import { xaiFlavor } from './xai.ts';

export const FLAVORS: readonly Flavor[] = [
  openRouterFlavor,
  geminiFlavor,
  xaiFlavor,
  grok2apiV1Flavor,
  grok2apiV2Flavor,
  grok2apiV3Flavor,
  seedreamFlavor,
  siliconFlowFlavor,
  createOpenAiFlavor('/openai'),
  createOpenAiFlavor('')
];
