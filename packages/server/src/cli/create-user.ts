import { parseArgs } from 'node:util';
import { RegisterParamsSchema } from '@metisai/sdk/schemas';
import { loadConfig } from '../config.ts';
import { DomainError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { createAccount } from '../services/auth.ts';
import { openCommandDatabase } from './database.ts';

export const CREATE_USER_USAGE = 'create-user --email EMAIL --password-stdin [--name NAME]   (the password is read from standard input)';

/** What a command prints and where; the server's process streams by default. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** Standard input whole, one trailing newline (`echo`, a here-string) dropped. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * `metisai create-user --email EMAIL --password-stdin [--name NAME]`: creates an account whatever
 * `ALLOW_REGISTRATION` says (the first account of a closed server), with registration's rules — a valid email, a
 * password of 10 characters to 72 bytes that is not a common one, an email not yet registered. The password comes
 * from standard input only (never the command line, which `ps` shows). Prints the new user's id on stdout and
 * resolves 0; a bad argument or password resolves 2, an email already registered 1, with the reason on stderr.
 */
export async function runCreateUser(args: string[], io: CommandIo): Promise<number> {
  let values: { email?: string; 'password-stdin'?: boolean; name?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { email: { type: 'string' }, 'password-stdin': { type: 'boolean' }, name: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr(`create-user: ${(error as Error).message}\nusage: ${CREATE_USER_USAGE}`);
    return 2;
  }
  if (!values.email || !values['password-stdin']) {
    io.stderr(`create-user: --email and --password-stdin are required\nusage: ${CREATE_USER_USAGE}`);
    return 2;
  }
  const parsed = RegisterParamsSchema.safeParse({ email: values.email, password: await readAll(io.stdin), name: values.name ?? null });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    io.stderr(`create-user: ${String(issue.path[0] ?? 'input')}: ${issue.message}`);
    return 2;
  }
  const config = loadConfig();
  // Logs go to stderr: stdout carries the id alone.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const database = await openCommandDatabase(config, logger);
  try {
    const user = await createAccount(database.orm.em.fork(), parsed.data, config.bcryptCost);
    logger.info({ security_event: 'registered', user_id: user.id, via: 'create-user' }, 'account created');
    io.stdout(user.id);
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      io.stderr(`create-user: ${error.message}`);
      return error.code === 'email_taken' ? 1 : 2;
    }
    throw error;
  } finally {
    await database.close();
  }
}
