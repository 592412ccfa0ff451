import OpenAI from 'openai';
import { onTestFinished } from 'vitest';
import { startScriptedLlm, type Script, type ScriptedLlmOptions } from '@metisai/scripted-llm';

/** Starts a server for the current test (closed when it finishes) and a real openai client pointed at it. */
export const startWithClient = async (script: Script, options: Omit<ScriptedLlmOptions, 'script'> & { clientApiKey?: string; maxRetries?: number } = {}) => {
  const { clientApiKey, maxRetries, ...serverOptions } = options;
  const llm = await startScriptedLlm({ script, ...serverOptions });
  onTestFinished(() => llm.close());
  const client = new OpenAI({ baseURL: llm.url, apiKey: clientApiKey ?? options.apiKey ?? 'sk-test', maxRetries: maxRetries ?? 0 });
  return { llm, client };
};
