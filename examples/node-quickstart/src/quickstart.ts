/**
 * The MetisAI quickstart: register (or log in), point your settings at an LLM, create and start an agent,
 * run a task in a new conversation and print every event as it streams.
 *
 *   METIS_URL=http://localhost:8000 OPENAI_API_KEY=sk-… npm start -w @metisai/example-node-quickstart
 *
 * Without OPENAI_API_KEY, LLM_BASE_URL / LLM_MODEL / LLM_API_KEY name any OpenAI-compatible endpoint.
 */
import { ConflictError, MetisClient, type ConversationStreamEvent } from '@metisai/sdk';
import { pathToFileURL } from 'node:url';

export interface QuickstartOptions {
  baseUrl: string;
  email: string;
  password: string;
  llm: { model: string; baseUrl: string; apiKey: string };
  task: string;
  /** Where lines go (default: stdout). */
  print?: (line: string) => void;
}

const describe = (event: ConversationStreamEvent): string | null => {
  switch (event.type) {
    case 'message':
      return `${event.role === 'user' ? '👤' : '🤖'} ${event.content}`;
    case 'action':
      return `⚙️  ${event.tool} ${JSON.stringify(event.args)}`;
    case 'observation':
      return `📄 ${event.content.trim().split('\n').slice(0, 10).join('\n   ')}`;
    case 'state':
      return `• state: ${event.state}${event.reason ? ` (${event.reason})` : ''}`;
    case 'error':
      return `⚠️  ${event.code}: ${event.message}`;
    default:
      return null; // deltas and live command output are printed as they stream
  }
};

export async function quickstart(options: QuickstartOptions) {
  const print = options.print ?? ((line: string) => console.log(line));
  const client = new MetisClient({ baseUrl: options.baseUrl });

  try {
    await client.auth.register({ email: options.email, password: options.password, name: 'Quickstart' });
    print(`registered ${options.email}`);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    await client.auth.login({ email: options.email, password: options.password });
    print(`logged in as ${options.email}`);
  }

  await client.settings.update({ llm_model: options.llm.model, llm_base_url: options.llm.baseUrl, llm_api_key: options.llm.apiKey });
  const check = await client.settings.llmTest();
  print(check.ok ? `LLM ${check.model} answers (${check.latency_ms} ms)` : `LLM check failed: ${check.error?.message}`);

  const agent = await client.agents.create({ name: 'quickstart', config: { system_prompt: 'Be brief.', max_iterations: 20 } });
  await client.agents.start(agent.id);
  while ((await client.agents.get(agent.id)).status === 'starting') await new Promise((resolve) => setTimeout(resolve, 200));
  print(`agent ${agent.name} is ${(await client.agents.get(agent.id)).status}`);

  const conversation = await client.conversations.create({ agent_id: agent.id, title: 'quickstart' });
  let streaming = false;
  const run = client.conversations.run(conversation.id, options.task, {
    onDelta: (delta) => {
      if (!streaming) process.stdout.write('🤖 ');
      streaming = true;
      process.stdout.write(delta.content);
    },
  });
  for await (const event of run) {
    if (event.type === 'message' && streaming) {
      process.stdout.write('\n');
      streaming = false;
      continue;
    }
    const line = describe(event);
    if (line) print(line);
  }
  const done = await client.conversations.get(conversation.id);
  print(`done: ${done.state}, ${done.usage.total_tokens} tokens`);
  await client.agents.stop(agent.id);
  return done;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const openai = process.env.OPENAI_API_KEY;
  const llm = {
    model: process.env.LLM_MODEL ?? 'gpt-4.1-mini',
    baseUrl: process.env.LLM_BASE_URL ?? 'https://api.openai.com/v1',
    apiKey: openai ?? process.env.LLM_API_KEY ?? '',
  };
  if (!llm.apiKey && !process.env.LLM_BASE_URL) {
    console.error('Set OPENAI_API_KEY (or LLM_BASE_URL, LLM_MODEL and LLM_API_KEY), or run `npm run scripted` for the offline demo.');
    process.exit(2);
  }
  await quickstart({
    baseUrl: process.env.METIS_URL ?? 'http://localhost:8000',
    email: process.env.METIS_EMAIL ?? 'quickstart@example.com',
    password: process.env.METIS_PASSWORD ?? 'quickstart password',
    llm,
    task: process.argv[2] ?? 'Create fizzbuzz.py printing FizzBuzz from 1 to 15, run it, and tell me the last line.',
  });
}
