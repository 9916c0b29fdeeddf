import { hashPassword } from '../password.ts';

export const summary = 'Print a passwordHash for the relay config (scrypt, salted)';

export const usage = `Usage: atelier hash-password <password>
       echo -n <password> | atelier hash-password

Prints a value for "auth": { "passwordHash": ... } in atelier.config.json (or for the environment
variable the config names, e.g. ATELIER_PASSWORD_HASH). Each run uses a new salt, so the same
password gives a different hash every time; all of them verify. Reading the password from standard
input keeps it out of the shell history.`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function run(argv: string[]): Promise<number> {
  if (argv.length > 1) {
    console.error('error: give one password (quote it if it has spaces)');
    return 2;
  }
  const password = argv[0] ?? (process.stdin.isTTY ? '' : await readStdin());
  if (password.length === 0) {
    console.error(`error: no password given\n\n${usage}`);
    return 2;
  }
  if (password.length < 8) console.error('warning: a password shorter than 8 characters is easy to guess');
  console.log(await hashPassword(password));
  return 0;
}
