// Shared pieces of the benchmarks: the row every benchmark returns, and the relay under test.
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

export interface RunningRelay {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `atelier serve` in its own process on an ephemeral loopback port, as people run it. */
export async function startRelayProcess(extraArgs: string[] = []): Promise<RunningRelay> {
  const child = spawn(process.execPath, ['relay/bin.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit']
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code} before serving: ${output}`)));
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
