// Every service the upstream plays, longest base path first so prefixes never shadow each other;
// OpenAI at the root comes last and answers whatever no other flavor claims.
import type { Flavor } from './flavor.ts';
import { geminiFlavor } from './gemini.ts';
import { createOpenAiFlavor } from './openai.ts';
import { openRouterFlavor } from './openrouter.ts';

export const FLAVORS: readonly Flavor[] = [openRouterFlavor, geminiFlavor, createOpenAiFlavor('/openai'), createOpenAiFlavor('')];
