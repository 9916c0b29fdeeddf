// The work password is stored only as a salted scrypt hash, in the PHC string format
// ($scrypt$ln=15,r=8,p=1$<salt>$<hash>, base64 without padding) so the cost can rise later
// without breaking hashes already in config files.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const DEFAULT_COST = { ln: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

export interface ParsedHash {
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const phc = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{32,})$/;

/** Parses a stored hash; null when it is not one `hash-password` writes. */
export function parsePasswordHash(text: string): ParsedHash | null {
  const match = phc.exec(text);
  if (!match) return null;
  const [, ln, r, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
  const parsed = { ln: Number(ln), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  // Bound the cost so a config file cannot make every login allocate gigabytes.
  if (parsed.ln < 10 || parsed.ln > 20 || parsed.r < 1 || parsed.r > 32 || parsed.p < 1 || parsed.p > 16) return null;
  return parsed;
}

function derive(password: string, salt: Buffer, cost: { ln: number; r: number; p: number }, length: number): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** cost.ln, r: cost.r, p: cost.p, maxmem: 256 * 2 ** cost.ln * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** `cost` is scrypt's log2(N), r and p; the default takes about 100 ms and 32 MB, per OWASP's advice. */
export async function hashPassword(password: string, cost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, cost, KEY_BYTES);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${b64(salt)}$${b64(hash)}`;
}

/** Compares in constant time, so timing does not tell how much of a guess was right. */
export async function verifyPassword(password: string, stored: ParsedHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt, stored, stored.hash.length);
  return timingSafeEqual(candidate, stored.hash);
}
