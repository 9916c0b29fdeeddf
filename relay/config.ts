// The relay's configuration: one JSON file (a contract: scripts write such files), secrets pulled
// from the environment with "${NAME}", checked whole at start so a mistake is reported by field
// name before anything listens, never halfway through a request.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DialectId } from '../app/lib/core/types.ts';
import { classifyAddress } from './net/address.ts';
import { parsePasswordHash } from './password.ts';

export const dialects = ['openai-images', 'openai-chat', 'openai-responses', 'gemini'] as const satisfies readonly DialectId[];

export interface ProviderConfigEntry {
  id: string;
  label: string;
  dialect: DialectId;
  /** No trailing slash; requests to `/api/upstream/<id>/<path>` go to `<baseUrl>/<path>`. */
  baseUrl: string;
  models: string[];
  /** Null for upstreams that need no key (a local gateway). */
  apiKey: string | null;
  /** Extra headers sent upstream (an OpenRouter HTTP-Referer, a gateway's tenant header). */
  headers: Record<string, string>;
  /** How many generations the app should run at once against this provider. */
  concurrency: number;
  /** The longest the upstream may stay silent (waiting for an image, or mid-stream) before the relay gives up. */
  timeoutMs: number;
  connectTimeoutMs: number;
  allowPrivateNetwork: boolean;
}

export interface RelayConfig {
  host: string;
  port: number;
  /** Absolute; holds the session signing secret. */
  dataDir: string;
  auth: {
    /** Null: no password, and then the relay only binds to loopback. */
    passwordHash: string | null;
    sessionDays: number;
    loginAttemptsPerMinute: number;
  };
  cors: { origins: string[] };
  limits: { requestBytes: number };
  logs: { ringSize: number; heartbeatMs: number };
  providers: ProviderConfigEntry[];
}

export const defaultConfigFile = 'atelier.config.json';

/** A config mistake; the message names the file and the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const envReference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every "${NAME}" inside string values with the environment variable NAME. The values
 * used are added to `used`, so error messages can be scrubbed of them (they are usually secrets).
 */
export function substituteEnv(value: Json, env: NodeJS.ProcessEnv, used: Set<string>, path = ''): Json {
  if (typeof value === 'string') {
    return value.replace(envReference, (_, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') {
        throw new ConfigError(`${path || '(root)'}: environment variable ${name} is not set (the config asks for "\${${name}}")`);
      }
      used.add(found);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, used, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, key.startsWith('//') ? item : substituteEnv(item, env, used, path ? `${path}.${key}` : key)])
    );
  }
  return value;
}

/** Reads fields off one object, naming each in errors, and refusing fields it does not know (typos). */
class Fields {
  readonly #seen = new Set<string>();
  constructor(
    readonly path: string,
    readonly value: { [key: string]: Json }
  ) {}

  static of(value: Json | undefined, path: string): Fields {
    if (value === undefined) return new Fields(path, {});
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${path}: must be an object`);
    return new Fields(path, value);
  }

  name(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  get(key: string): Json | undefined {
    this.#seen.add(key);
    return this.value[key];
  }

  string(key: string, fallback?: string): string {
    const value = this.get(key) ?? fallback;
    if (typeof value !== 'string' || value.length === 0) {
      throw new ConfigError(`${this.name(key)}: ${value === undefined ? 'is required' : 'must be a non-empty string'}`);
    }
    return value;
  }

  optionalString(key: string): string | null {
    const value = this.get(key);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw new ConfigError(`${this.name(key)}: must be a string`);
    return value;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const value = this.get(key) ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${this.name(key)}: must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.get(key) ?? fallback;
    if (typeof value !== 'boolean') throw new ConfigError(`${this.name(key)}: must be true or false`);
    return value;
  }

  strings(key: string): string[] {
    const value = this.get(key) ?? [];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.length === 0)) {
      throw new ConfigError(`${this.name(key)}: must be a list of non-empty strings`);
    }
    return value as string[];
  }

  /** Call last: an unknown key is most often a misspelt known one, silently ignored otherwise. */
  done(known: readonly string[]): void {
    for (const key of Object.keys(this.value)) {
      // Keys starting with "//" are comments: JSON has no other way to document a file in place.
      if (this.#seen.has(key) || key.startsWith('//')) continue;
      const near = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
      throw new ConfigError(`${this.name(key)}: unknown field${near ? ` (did you mean ${near}?)` : ''}; known fields: ${known.join(', ')}`);
    }
  }
}

function parseOrigin(text: string, field: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${field}: "${text}" is not an origin like https://studio.example.com`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text.replace(/\/$/, '')) {
    throw new ConfigError(`${field}: "${text}" is not an origin like https://studio.example.com (scheme, host and port only)`);
  }
  return url.origin;
}

function parseProvider(value: Json, index: number, ids: Set<string>): ProviderConfigEntry {
  const fields = Fields.of(value, `providers[${index}]`);
  const id = fields.string('id');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(id)) {
    throw new ConfigError(`${fields.name('id')}: "${id}" must be lower-case letters, digits, - or _ (it becomes part of a URL path)`);
  }
  if (ids.has(id)) throw new ConfigError(`${fields.name('id')}: "${id}" is used by another provider`);
  ids.add(id);
  const dialect = fields.string('dialect');
  if (!(dialects as readonly string[]).includes(dialect)) {
    throw new ConfigError(`${fields.name('dialect')}: "${dialect}" is not one of ${dialects.join(', ')}`);
  }
  const baseUrlText = fields.string('baseUrl');
  let baseUrl: URL;
  try {
    baseUrl = new URL(baseUrlText);
  } catch {
    throw new ConfigError(`${fields.name('baseUrl')}: "${baseUrlText}" is not a URL`);
  }
  if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') throw new ConfigError(`${fields.name('baseUrl')}: must start with http:// or https://`);
  // A key in the URL would end up in logs and errors; keys belong in apiKey.
  if (baseUrl.username || baseUrl.password || baseUrl.search || baseUrl.hash) {
    throw new ConfigError(`${fields.name('baseUrl')}: must not carry credentials, a query or a fragment (put the key in apiKey)`);
  }
  const allowPrivateNetwork = fields.boolean('allowPrivateNetwork', false);
  const literal = classifyAddress(baseUrl.hostname);
  if (literal && literal.kind !== 'public' && !allowPrivateNetwork) {
    throw new ConfigError(
      `${fields.name('baseUrl')}: ${baseUrl.hostname} is a ${literal.kind} address (${literal.address}); set "allowPrivateNetwork": true on this provider if it really lives there`
    );
  }
  const headers = Fields.of(fields.get('headers'), fields.name('headers'));
  const headerEntries = Object.keys(headers.value).map((name) => {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new ConfigError(`${headers.name(name)}: is not a valid header name`);
    return [name.toLowerCase(), headers.string(name)] as const;
  });
  const entry: ProviderConfigEntry = {
    id,
    label: fields.optionalString('label') ?? id,
    dialect: dialect as DialectId,
    baseUrl: baseUrl.href.replace(/\/+$/, ''),
    models: fields.strings('models'),
    apiKey: fields.optionalString('apiKey') || null,
    headers: Object.fromEntries(headerEntries),
    concurrency: fields.integer('concurrency', 2, 1, 64),
    timeoutMs: fields.integer('timeoutMs', 180_000, 1000, 3_600_000),
    connectTimeoutMs: fields.integer('connectTimeoutMs', 10_000, 100, 120_000),
    allowPrivateNetwork
  };
  fields.done(['id', 'label', 'dialect', 'baseUrl', 'models', 'apiKey', 'headers', 'concurrency', 'timeoutMs', 'connectTimeoutMs', 'allowPrivateNetwork']);
  return entry;
}

/**
 * Validates a parsed config file (after env substitution). `baseDir` is where relative paths
 * (dataDir) start: the config file's folder, so the relay finds its data wherever it is started.
 */
export function parseConfig(value: Json, baseDir: string): RelayConfig {
  const root = Fields.of(value, '');
  const auth = Fields.of(root.get('auth'), 'auth');
  const passwordHash = auth.optionalString('passwordHash') || null;
  if (passwordHash !== null && !parsePasswordHash(passwordHash)) {
    throw new ConfigError('auth.passwordHash: is not a hash made by `atelier hash-password` (it starts with $scrypt$)');
  }
  const cors = Fields.of(root.get('cors'), 'cors');
  const limits = Fields.of(root.get('limits'), 'limits');
  const logs = Fields.of(root.get('logs'), 'logs');
  const providersValue = root.get('providers') ?? [];
  if (!Array.isArray(providersValue)) throw new ConfigError('providers: must be a list');
  const ids = new Set<string>();
  const config: RelayConfig = {
    host: root.string('host', '127.0.0.1'),
    port: root.integer('port', 51130, 0, 65535),
    dataDir: resolve(baseDir, root.string('dataDir', './data')),
    auth: {
      passwordHash,
      sessionDays: auth.integer('sessionDays', 7, 1, 365),
      loginAttemptsPerMinute: auth.integer('loginAttemptsPerMinute', 10, 1, 1000)
    },
    cors: { origins: cors.strings('origins').map((origin, i) => parseOrigin(origin, `cors.origins[${i}]`)) },
    limits: { requestBytes: limits.integer('requestBytes', 64 * 1024 * 1024, 1024, 2 ** 31) },
    logs: { ringSize: logs.integer('ringSize', 1000, 10, 100_000), heartbeatMs: logs.integer('heartbeatMs', 15_000, 100, 300_000) },
    providers: providersValue.map((provider, i) => parseProvider(provider, i, ids))
  };
  auth.done(['passwordHash', 'sessionDays', 'loginAttemptsPerMinute']);
  cors.done(['origins']);
  limits.done(['requestBytes']);
  logs.done(['ringSize', 'heartbeatMs']);
  root.done(['host', 'port', 'dataDir', 'auth', 'cors', 'limits', 'logs', 'providers']);
  return config;
}

export interface LoadConfigOptions {
  /** From --config; else ATELIER_CONFIG; else ./atelier.config.json when it exists. */
  path?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Finds, reads, substitutes and validates the config; every failure is a ConfigError naming the file. */
export function loadConfig({ path, env = process.env, cwd = process.cwd() }: LoadConfigOptions = {}): RelayConfig & { source: string | null } {
  const explicit = path ?? (env.ATELIER_CONFIG || undefined);
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, defaultConfigFile);
  if (!existsSync(file)) {
    if (explicit) throw new ConfigError(`${file}: no such config file`);
    return { ...parseConfig({}, cwd), source: null };
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message}`);
  }
  const used = new Set<string>();
  try {
    return { ...parseConfig(substituteEnv(parsed, env, used), dirname(file)), source: file };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    let message = error.message;
    for (const secret of used) message = message.split(secret).join('[from environment]');
    throw new ConfigError(`${file}: ${message}`);
  }
}
