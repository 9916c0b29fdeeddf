import { pathToFileURL } from 'node:url';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { version } from './version.ts';

/** What each `relay/commands/<name>.ts` module exports. */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.slice(0, -3))
    .sort();
}

async function loadCommand(name: string): Promise<Command> {
  return (await import(pathToFileURL(join(commandsDir, `${name}.ts`)).href)) as Command;
}

async function overview(): Promise<string> {
  const lines = [`atelier ${version}: the Atelier relay and command line`, '', 'Usage: atelier <command> [options]', '', 'Commands:'];
  for (const name of commandNames()) {
    const command = await loadCommand(name);
    lines.push(`  ${name.padEnd(16)}${command.summary}`);
  }
  lines.push('', "Run 'atelier <command> --help' for a command's options.");
  return lines.join('\n');
}

/** Runs one command line and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await overview());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version);
    return 0;
  }
  if (!commandNames().includes(name)) {
    console.error(`error: unknown command '${name}'\n\n${await overview()}`);
    return 2;
  }
  const command = await loadCommand(name);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  return command.run(rest);
}
