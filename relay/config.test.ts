import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindRefusal } from './commands/serve.ts';
import { ConfigError, loadConfig, parseConfig } from './config.ts';

const hash = '$scrypt$ln=15,r=8,p=1$9slh4A4DwcXw84PRdUHWZQ$Wo2IkpxAdI1iPeyCZTq1HSv2HFyP5CtjX7SxbrfGhj4';

function writeConfig(value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-config-'));
  const file = join(dir, 'atelier.config.json');
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const provider = (extra: Record<string, unknown> = {}) => ({ id: 'openai', dialect: 'openai-images', baseUrl: 'https://api.openai.com/v1', ...extra });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('relay config', () => {
  it('accepts the shipped example once its environment variables are set', () => {
    const sut = loadConfig({
      path: 'atelier.config.example.json',
      env: { ATELIER_PASSWORD_HASH: hash, OPENAI_API_KEY: 'sk-example', GEMINI_API_KEY: 'g-example', LOCAL_GATEWAY_KEY: 'local' }
    });
    expect(sut.source).toMatch(/atelier\.config\.example\.json$/);
    expect(sut.auth.passwordHash).toBe(hash);
    expect(sut.providers.map((p) => [p.id, p.dialect, p.apiKey])).toEqual([
      ['openai', 'openai-images', 'sk-example'],
      ['gemini', 'gemini', 'g-example'],
      ['local', 'openai-chat', 'local']
    ]);
    expect(sut.dataDir).toBe(join(process.cwd(), 'data'));
  });

  it('fills defaults for an empty file and for a missing default file', () => {
    const sut = loadConfig({ path: writeConfig({}), env: {} });
    expect(sut).toMatchObject({ host: '127.0.0.1', port: 51130, auth: { passwordHash: null, sessionDays: 7 }, limits: { requestBytes: 64 * 1024 * 1024 }, providers: [] });
    expect(loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'atelier-empty-')), env: {} }).source).toBeNull();
  });

  it('reads the file named by ATELIER_CONFIG and resolves dataDir beside it', () => {
    const file = writeConfig({ dataDir: 'state', providers: [provider({ apiKey: '${KEY}' })] });
    const sut = loadConfig({ env: { ATELIER_CONFIG: file, KEY: 'sk-from-env' } });
    expect(sut.providers[0]?.apiKey).toBe('sk-from-env');
    expect(sut.dataDir).toBe(join(file, '..', 'state'));
  });

  it('names the field and the variable when an environment variable is missing', () => {
    const message = errorOf(() => loadConfig({ path: writeConfig({ providers: [provider({ apiKey: '${OPENAI_API_KEY}' })] }), env: {} }));
    expect(message).toContain('providers[0].apiKey: environment variable OPENAI_API_KEY is not set');
  });

  it('never repeats a value that came from the environment in an error', () => {
    const message = errorOf(() => loadConfig({ path: writeConfig({ providers: [provider({ dialect: '${SECRET}' })] }), env: { SECRET: 'sk-live-secret-value' } }));
    expect(message).toContain('providers[0].dialect');
    expect(message).not.toContain('sk-live-secret-value');
  });

  it.each([
    [{ port: 70000 }, 'port: must be a whole number from 0 to 65535'],
    [{ port: '80' }, 'port: must be a whole number'],
    [{ providers: [provider({ dialect: 'dall-e' })] }, 'providers[0].dialect: "dall-e" is not one of openai-images'],
    [{ providers: [provider({ baseUrl: 'ftp://x' })] }, 'providers[0].baseUrl: must start with http:// or https://'],
    [{ providers: [provider({ baseUrl: 'https://api.openai.com/v1?key=abc' })] }, 'providers[0].baseUrl: must not carry credentials'],
    [{ providers: [provider({ baseUrl: 'https://user:pw@api.openai.com/v1' })] }, 'providers[0].baseUrl: must not carry credentials'],
    [{ providers: [provider(), provider()] }, 'providers[1].id: "openai" is used by another provider'],
    [{ providers: [provider({ id: 'Open AI' })] }, 'providers[0].id: "Open AI" must be lower-case'],
    [{ providers: [provider({ apikey: 'x' })] }, 'providers[0].apikey: unknown field (did you mean apiKey?)'],
    [{ providers: [provider({ models: 'gpt-image-1' })] }, 'providers[0].models: must be a list of non-empty strings'],
    [{ providers: [provider({ timeoutMs: 10 })] }, 'providers[0].timeoutMs: must be a whole number from 1000'],
    [{ auth: { passwordHash: 'hunter2' } }, 'auth.passwordHash: is not a hash made by `atelier hash-password`'],
    [{ cors: { origins: ['https://app.example.com/path'] } }, 'cors.origins[0]: "https://app.example.com/path" is not an origin'],
    [{ hots: '0.0.0.0' }, 'hots: unknown field'],
    [{ providers: {} }, 'providers: must be a list']
  ])('refuses %j, naming the field', (raw, expected) => {
    expect(errorOf(() => parseConfig(raw as never, '/'))).toContain(expected);
  });

  it('reports the file and JSON syntax errors', () => {
    const file = writeConfig('{ "port": 1, }');
    expect(errorOf(() => loadConfig({ path: file, env: {} }))).toContain(file);
    expect(errorOf(() => loadConfig({ path: '/no/such/atelier.json', env: {} }))).toContain('no such config file');
  });

  it('refuses a provider at a private address in any spelling unless allowPrivateNetwork is set', () => {
    for (const host of ['127.0.0.1', '127.1', '0x7f000001', '2130706433', '0177.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '10.0.0.5', '169.254.169.254', '[fd00::1]', '[fe80::1]', '100.64.1.1', '0.0.0.0']) {
      const baseUrl = `http://${host}:8000/v1`;
      expect(errorOf(() => parseConfig({ providers: [provider({ baseUrl })] } as never, '/')), host).toContain('allowPrivateNetwork');
      expect(parseConfig({ providers: [provider({ baseUrl, allowPrivateNetwork: true })] } as never, '/').providers[0]?.allowPrivateNetwork).toBe(true);
    }
  });
});

describe('binding without a password', () => {
  const open = parseConfig({}, '/');
  const locked = parseConfig({ auth: { passwordHash: hash } }, '/');

  it('is allowed on loopback only', () => {
    for (const host of ['127.0.0.1', '127.1', 'localhost', '::1']) expect(bindRefusal(host, open), host).toBeNull();
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) expect(bindRefusal(host, open), host).toMatch(/without a password.*\n.*hash-password/);
    expect(bindRefusal('0.0.0.0', locked)).toBeNull();
  });

  it('makes `atelier serve` exit with the reason instead of listening', () => {
    const file = writeConfig({});
    const result = spawnSync(process.execPath, ['relay/bin.js', 'serve', '--config', file, '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('refusing to listen on 0.0.0.0 without a password');
    expect(result.stdout).not.toContain('serving on');
  }, 20_000);

  it('makes `atelier serve` report a bad config by field', () => {
    const file = writeConfig({ providers: [provider({ dialect: 'nope' })] });
    const result = spawnSync(process.execPath, ['relay/bin.js', 'serve', '--config', file, '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('providers[0].dialect');
  }, 20_000);
});
