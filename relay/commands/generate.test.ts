// The `atelier generate` / `atelier models` contract, run as people run it: `node relay/bin.js ...`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngBytes } from '../../app/lib/core/testing/images.ts';
import { startUpstream, type TestUpstream } from '../../tests/upstream/server.ts';

let upstream: TestUpstream;
let dir: string;
const KEY = 'sk-cli-SECRET-424242';

beforeAll(async () => {
  upstream = await startUpstream();
  dir = mkdtempSync(join(tmpdir(), 'atelier-generate-'));
});
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

function atelier(args: string[], env: Record<string, string> = { ATELIER_API_KEY: KEY }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['relay/bin.js', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Each case starts `node relay/bin.js` (tsx compiles on load): seconds, not milliseconds, on a busy machine.
const SPAWNING = { timeout: 60_000 };

describe('atelier generate', SPAWNING, () => {
  it('saves each image with the extension its bytes call for and prints one JSON line per image', async () => {
    const out = join(dir, 'grok');
    const { code, stdout } = await atelier(['generate', '--dialect', 'openai-images', '--base-url', `${upstream.url}/grok2api-v3/v1`, '--model', 'grok-imagine-image', '--prompt', 'two foxes', '--n', '2', '--out', out]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { file: string; mime: string; width: number; height: number; bytes: number; sha256: string });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.mime).toBe('image/jpeg');
      expect(line.file.endsWith('.jpg')).toBe(true);
      const bytes = readFileSync(line.file);
      expect(bytes.length).toBe(line.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(line.sha256);
      expect(line.width).toBeGreaterThan(0);
    }
  });

  it('edits with --image/--mask, streams, and picks the dialect with auto', async () => {
    const image = join(dir, 'in.png');
    const mask = join(dir, 'mask.png');
    writeFileSync(image, pngBytes(32, 32, 1));
    writeFileSync(mask, pngBytes(32, 32, 2));
    const edit = await atelier(['generate', '--base-url', `${upstream.url}/v1`, '--model', 'gpt-image-1', '--prompt', 'add a hat', '--image', image, '--mask', mask, '--stream', '--out', join(dir, 'edit')]);
    expect(edit.code).toBe(0);
    expect(edit.stderr).toContain('dialect: openai-images');
    expect(JSON.parse(edit.stdout.trim())).toMatchObject({ mime: 'image/png' });
    expect(upstream.requests.at(-1)!.form!.files.map((f) => f.field)).toEqual(['image', 'mask']);
    const gemini = await atelier(['generate', '--dialect', 'gemini', '--base-url', `${upstream.url}/gemini`, '--model', 'gemini-2.5-flash-image', '--prompt', 'a fox', '--aspect-ratio', '16:9', '--image-size', '2K', '--out', join(dir, 'gemini')]);
    expect(gemini.code).toBe(0);
    expect(upstream.requests.at(-1)!.headers['x-goog-api-key']).toBe(KEY);
  });

  it('exits non-zero with "error: <kind>: <upstream message>" and never prints the key', async () => {
    const { code, stdout, stderr } = await atelier(['generate', '--dialect', 'openai-images', '--base-url', `${upstream.url}/v1`, '--model', 'gpt-image-1', '--prompt', 'a fox [fault:401]', '--out', join(dir, 'fail')]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: auth: .+/m);
    expect(stderr).not.toContain(KEY);
    const safety = await atelier(['generate', '--base-url', `${upstream.url}/gemini`, '--model', 'gemini-2.5-flash-image', '--prompt', 'a fox [fault:safety]', '--out', join(dir, 'fail')]);
    expect(safety.code).toBe(1);
    expect(safety.stderr).toMatch(/^error: safety: /m);
  });

  it('documents every flag and rejects a bad command line with exit 2', async () => {
    const help = await atelier(['generate', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--dialect', '--base-url', '--model', '--prompt', '--image', '--mask', '--n', '--size', '--aspect-ratio', '--image-size', '--stream', '--timeout', '--out', '--api-key', 'ATELIER_API_KEY']) {
      expect(help.stdout).toContain(flag);
    }
    const bad = await atelier(['generate', '--model', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('missing --base-url, --prompt');
  });
});

describe('atelier models', SPAWNING, () => {
  it('prints model ids one per line', async () => {
    const { code, stdout } = await atelier(['models', '--dialect', 'gemini', '--base-url', `${upstream.url}/gemini`]);
    expect(code).toBe(0);
    const ids = stdout.trim().split('\n');
    expect(ids).toContain('gemini-2.5-flash-image');
    expect(ids.every((id) => !id.startsWith('models/'))).toBe(true);
    const images = await atelier(['models', '--base-url', `${upstream.url}/openrouter/api/v1`, '--image-only']);
    expect(images.stdout.trim().split('\n')).not.toContain('anthropic/claude-sonnet-4.5');
  });
});
