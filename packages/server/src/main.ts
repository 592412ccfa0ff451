#!/usr/bin/env node
import { CREATE_USER_USAGE, runCreateUser } from './cli/create-user.ts';
import { runMigrate } from './cli/migrate.ts';
import { runServe } from './cli/serve.ts';

const USAGE = `usage: metisai [command]
  serve          run the server (the default)
  migrate        apply pending database migrations and exit
  ${CREATE_USER_USAGE}`;

/**
 * The server's entry point (`npm start`, the image's entrypoint): dispatches on its first argument — `serve` (the
 * default), `migrate`, `create-user`. An unknown command prints the usage and exits 2.
 */
async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...args] = argv;
  switch (command) {
    case 'serve':
      return runServe();
    case 'migrate':
      process.exit(await runMigrate());
      break;
    case 'create-user':
      process.exit(
        await runCreateUser(args, {
          stdin: process.stdin,
          stdout: (line) => process.stdout.write(`${line}\n`),
          stderr: (line) => process.stderr.write(`${line}\n`),
        }),
      );
      break;
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error('MetisAI failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
