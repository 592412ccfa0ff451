#!/usr/bin/env node
// Serves a JSON script (an array of turns): node tests/scripted-llm/src/cli.ts --port 9999 --script script.json
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseScriptJson } from './parse-script-json.ts';
import type { Script } from './script.ts';
import { startScriptedLlm } from './start-scripted-llm.ts';
import type { Turn } from './turn.ts';

const usage = `usage: node tests/scripted-llm/src/cli.ts --script FILE.json [options]

  --script FILE         JSON array of turns (required)
  --port N              port to listen on (default: a free port)
  --host HOST           interface (default 127.0.0.1)
  --api-key KEY         require "Authorization: Bearer KEY"
  --chunk-delay-ms N    pause between streamed chunks (default 0)
  --model NAME          model listed by GET /v1/models (default scripted-llm)
  --loop                start the script over when it runs out (benchmarks, demos)`;

const fail = (message: string): never => {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
};

const toNumber = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  const number = Number(value);
  return Number.isInteger(number) && number >= 0 ? number : fail(`${flag} must be a non-negative integer, got ${value}`);
};

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        script: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'api-key': { type: 'string' },
        'chunk-delay-ms': { type: 'string' },
        model: { type: 'string' },
        loop: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const readScript = async (path: string): Promise<Turn[]> => {
  try {
    return parseScriptJson(await readFile(path, 'utf8'), path);
  } catch (error) {
    return fail((error as Error).message);
  }
};

const list = await readScript(values.script ?? fail('--script is required'));
const script: Script = values.loop && list.length > 0 ? (_request, index) => list[index % list.length]! : list;

const llm = await startScriptedLlm({
  script,
  port: toNumber(values.port, '--port'),
  host: values.host,
  apiKey: values['api-key'],
  chunkDelayMs: toNumber(values['chunk-delay-ms'], '--chunk-delay-ms'),
  model: values.model,
});
process.stdout.write(`scripted-llm listening on ${llm.url} (${list.length} turns${values.loop ? ', looping' : ''})\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void llm.close().then(() => process.exit(0));
  });
}
