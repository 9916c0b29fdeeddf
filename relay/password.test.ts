import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, verifyPassword } from './password.ts';

describe('password hashes', () => {
  it('verify the password they were made from and nothing else', async () => {
    const stored = parsePasswordHash(await hashPassword('correct horse battery'))!;
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('are salted: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
  });

  it('refuse to parse anything that is not such a hash, or has an absurd cost', () => {
    expect(parsePasswordHash('hunter2')).toBeNull();
    expect(parsePasswordHash('$scrypt$ln=40,r=8,p=1$9slh4A4DwcXw84PRdUHWZQ$Wo2IkpxAdI1iPeyCZTq1HSv2HFyP5CtjX7SxbrfGhj4')).toBeNull();
  });

  it('come out of `atelier hash-password`, from an argument or standard input', async () => {
    const fromArg = spawnSync(process.execPath, ['relay/bin.js', 'hash-password', 'open sesame'], { encoding: 'utf8' });
    expect(fromArg.status).toBe(0);
    expect(await verifyPassword('open sesame', parsePasswordHash(fromArg.stdout.trim())!)).toBe(true);
    const fromStdin = spawnSync(process.execPath, ['relay/bin.js', 'hash-password'], { encoding: 'utf8', input: 'from stdin\n' });
    expect(await verifyPassword('from stdin', parsePasswordHash(fromStdin.stdout.trim())!)).toBe(true);
  }, 20_000);
});
