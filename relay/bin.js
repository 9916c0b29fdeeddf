#!/usr/bin/env node
// The `atelier` command. Node 20 cannot run TypeScript itself, so tsx compiles the relay on load.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
