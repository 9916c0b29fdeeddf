// Shared pieces of the benchmarks: the row every benchmark returns, the median they report, and
// the processes under test.
import { spawn, type ChildProcess } from 'node:child_process';

/** One line of `npm run bench`'s table. */
export interface BenchRow {
  figure: string;
  value: number;
  unit: string;
  /** What the value should be, as shown to a reader, e.g. "< 120 KB". */
  target: string;
  ok: boolean;
}

/** The middle value (the upper one of an even count). */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export interface RunningProcess {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `atelier serve` in its own process on an ephemeral loopback port, as people run it. */
export function startRelayProcess(extraArgs: string[] = []): Promise<RunningProcess> {
  return startProcess(['relay/bin.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', ...extraArgs], /serving on (http:\/\/\S+)/);
}

/**
 * Starts the test upstream (`npm run upstream`) in its own process on an ephemeral loopback port,
 * so a real service's timers and sockets do not share the event loop of the client being measured.
 */
export function startUpstreamProcess(extraArgs: string[] = []): Promise<RunningProcess> {
  return startProcess(['--import', 'tsx', 'tests/upstream/cli.ts', '--port', '0', ...extraArgs], /listening on (http:\/\/\S+)/);
}

async function startProcess(args: string[], ready: RegExp): Promise<RunningProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before serving: ${output}`)));
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      })
  };
}
