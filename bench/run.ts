// `npm run bench`: runs every bench/*.bench.ts (or those whose name contains an argument) and
// prints one table: figure, value, target, verdict. Exits non-zero when a target is missed.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { BenchRow } from './bench.ts';

const dir = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

const rows: (BenchRow & { bench: string })[] = [];
for (const file of files) {
  const bench = file.replace(/\.bench\.ts$/, '');
  console.log(`▶ ${bench}`);
  const started = performance.now();
  try {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as { run(): Promise<BenchRow[]> };
    for (const row of await module.run()) rows.push({ ...row, bench });
  } catch (error) {
    rows.push({ bench, figure: 'benchmark ran', value: 0, unit: '', target: 'completes', ok: false });
    console.error(`  ${bench} failed: ${(error as Error).stack ?? error}`);
  }
  console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function formatValue(row: BenchRow): string {
  const digits = Number.isInteger(row.value) || Math.abs(row.value) >= 100 ? 0 : Math.abs(row.value) >= 10 ? 1 : 2;
  return `${row.value.toFixed(digits)} ${row.unit}`.trim();
}

const header = ['bench', 'figure', 'value', 'target', 'verdict'];
const table = rows.map((row) => [row.bench, row.figure, formatValue(row), row.target, row.ok ? 'ok' : 'MISS']);
const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i]!.length)));
const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const cells of table) console.log(line(cells));
const missed = rows.filter((row) => !row.ok).length;
console.log(`\n${rows.length - missed} of ${rows.length} figures on target`);
process.exitCode = missed > 0 ? 1 : 0;
