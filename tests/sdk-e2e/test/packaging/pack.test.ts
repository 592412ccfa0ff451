// The SDK is built once per run by the global setup (global-build.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer } from '../../../../packages/server/test/support/test-server.ts';
import { run, SDK_DIR } from './build-sdk.ts';

// What `npm install @metisai/sdk` gives an app: the packed tarball, installed into a fresh consumer package.
let dir: string;
let tarball: string;
let files: string[];
let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'metis-sdk-consumer-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: SDK_DIR });
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  tarball = path.join(dir, packed.filename);
  files = packed.files.map((file) => file.path);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir });
  server = await startTestServer();
}, 180_000);
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

test('the tarball holds the builds, their declarations and source maps, and nothing else', () => {
  expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']));
  expect(files).toEqual(expect.arrayContaining(['dist/schemas/index.js', 'dist/schemas/index.cjs', 'dist/schemas/index.d.ts', 'dist/schemas/index.d.cts']));
  expect(files).toEqual(expect.arrayContaining(['dist/files.js', 'dist/files.cjs', 'dist/files.d.ts', 'dist/files.d.cts']));
  expect(files).toEqual(expect.arrayContaining(['dist/embed.js', 'dist/embed.cjs', 'dist/embed.d.ts', 'dist/embed.d.cts']));
  expect(files.filter((file) => /(^|\/)(src|test|scripts)\/|\.test\.|tsconfig|vitest/.test(file))).toEqual([]);
  for (const file of files.filter((f) => /\.(c?js)$/.test(f))) expect(files, `${file}.map`).toContain(`${file}.map`);
});

const script = (kind: 'esm' | 'cjs') => `
${kind === 'esm' ? "import { MetisClient, NotFoundError } from '@metisai/sdk';\nimport { AgentSchema } from '@metisai/sdk/schemas';" : "const { MetisClient, NotFoundError } = require('@metisai/sdk');\nconst { AgentSchema } = require('@metisai/sdk/schemas');"}
(async () => {
  const client = new MetisClient({ baseUrl: process.argv[2] });
  const { user } = await client.auth.register({ email: '${kind}-' + Date.now() + '@example.com', password: 'consumer password' });
  const agent = await client.agents.create({ name: '${kind}' });
  AgentSchema.parse(agent);
  let missing = 'no error';
  try { await client.agents.get('00000000-0000-7000-8000-000000000000'); } catch (error) { missing = error instanceof NotFoundError ? error.code : String(error); }
  console.log(JSON.stringify({ user: user.email.split('-')[0], agent: agent.name, missing }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

test.each(['esm', 'cjs'] as const)('the %s build imports and talks to a real server from a fresh consumer', async (kind) => {
  const file = path.join(dir, kind === 'esm' ? 'consumer.mjs' : 'consumer.cjs');
  await writeFile(file, script(kind));
  const { stdout } = await run(process.execPath, [file, server.url], { cwd: dir });
  expect(JSON.parse(stdout)).toEqual({ user: kind, agent: kind, missing: 'not_found' });
});

test('the types resolve for TypeScript consumers of both builds', async () => {
  await writeFile(
    path.join(dir, 'typed.mts'),
    "import { MetisClient, type Agent } from '@metisai/sdk';\nimport type { Event } from '@metisai/sdk/schemas';\nimport { Files, type FileDownload } from '@metisai/sdk/files';\nconst client: MetisClient = new MetisClient({ baseUrl: 'http://x' });\nexport const download = (id: string): Promise<FileDownload> => new Files(client).download(id, 'a.txt');\nexport const names = async (): Promise<string[]> => { const agents: Agent[] = []; for await (const agent of client.agents.list()) agents.push(agent); return agents.map((a) => a.name); };\nexport type Kinds = Event['type'];\nimport { VisitorClient, visitorTokenProvider } from '@metisai/sdk/embed';\nexport const visitor = new VisitorClient({ baseUrl: 'http://x', token: visitorTokenProvider({ baseUrl: 'http://x', publishableKey: 'pk_x' }) });\nexport const conversations = (): Promise<string[]> => visitor.embed.conversations.list().then((page) => page.data.map((c) => c.id));\n",
  );
  await writeFile(
    path.join(dir, 'typed.cts'),
    "import sdk = require('@metisai/sdk');\nexport const make = (): sdk.MetisClient => new sdk.MetisClient({ baseUrl: 'http://x' });\n",
  );
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2023', 'dom', 'dom.iterable'],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ['typed.mts', 'typed.cts'],
    }),
  );
  const tsc = path.join(SDK_DIR, '../../node_modules/.bin/tsc');
  await expect(run(tsc, ['-p', 'tsconfig.json'], { cwd: dir })).resolves.toBeDefined();
});
