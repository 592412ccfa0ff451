import { describe, expect, test } from 'vitest';
import { LlmNotConfiguredError } from '../errors.ts';
import { chooseLlmEndpoint, type LlmLevels, OPENAI_BASE_URL } from './llm-endpoint.ts';

const levels = (partial: Partial<LlmLevels>): LlmLevels => ({ overrides: {}, agent: {}, user: {}, server: {}, ...partial });
const SERVER = { model: 'server-model', baseUrl: 'https://llm.operator.example/v1', apiKey: 'sk-operator' };

describe('which URL', () => {
  test('the first level that sets it wins: agent > user > server', () => {
    expect(chooseLlmEndpoint(levels({ agent: { baseUrl: 'http://a/v1' }, user: { baseUrl: 'http://u/v1' }, server: SERVER })).baseURL).toBe('http://a/v1');
    expect(chooseLlmEndpoint(levels({ user: { baseUrl: 'http://u/v1' }, server: SERVER })).baseURL).toBe('http://u/v1');
    expect(chooseLlmEndpoint(levels({ server: SERVER })).baseURL).toBe(SERVER.baseUrl);
  });

  test('the setting the URL came from is named, for a refusal to connect there', () => {
    expect(chooseLlmEndpoint(levels({ agent: { baseUrl: 'http://a/v1' }, user: { baseUrl: 'http://u/v1' }, server: SERVER })).baseUrlField).toBe(
      'config.llm_base_url',
    );
    expect(chooseLlmEndpoint(levels({ user: { baseUrl: 'http://u/v1' }, server: SERVER })).baseUrlField).toBe('llm_base_url');
    expect(chooseLlmEndpoint(levels({ overrides: { llm_base_url: 'http://o/v1' }, agent: { baseUrl: 'http://a/v1' }, server: SERVER })).baseUrlField).toBe(
      'llm_base_url',
    );
    expect(chooseLlmEndpoint(levels({ server: SERVER })).baseUrlField).toBeUndefined();
  });

  test('a user who sets only a model and a key gets OpenAI, as the openai client does', () => {
    expect(chooseLlmEndpoint(levels({ user: { model: 'gpt-4.1-mini', apiKey: 'sk-user' } }))).toEqual({
      model: 'gpt-4.1-mini',
      baseURL: OPENAI_BASE_URL,
      apiKey: 'sk-user',
      modelField: 'llm_model',
      apiKeyField: 'llm_api_key',
    });
  });

  test('the settings each value came from are named (for the field a failed test points at)', () => {
    const agentLevel = chooseLlmEndpoint(
      levels({ agent: { model: 'a', baseUrl: 'http://a/v1' }, user: { model: 'u', apiKey: 'sk', apiKeyField: 'config.llm_api_key_secret' }, server: SERVER }),
    );
    expect(agentLevel).toMatchObject({ modelField: 'config.llm_model', baseUrlField: 'config.llm_base_url', apiKeyField: 'config.llm_api_key_secret' });
    const overrides = chooseLlmEndpoint(
      levels({ overrides: { llm_model: 'o', llm_base_url: 'http://o/v1', llm_api_key: 'sk-o' }, agent: { model: 'a' }, server: SERVER }),
    );
    expect(overrides).toMatchObject({ modelField: 'llm_model', baseUrlField: 'llm_base_url', apiKeyField: 'llm_api_key' });
    const server = chooseLlmEndpoint(levels({ server: SERVER }));
    expect(server.modelField).toBeUndefined();
    expect(server.apiKeyField).toBeUndefined();
  });
});

describe('which key goes where', () => {
  test("the server's key never goes to a URL the user or the agent chose", () => {
    expect(chooseLlmEndpoint(levels({ user: { baseUrl: 'http://attacker.example/v1' }, server: SERVER })).apiKey).toBe('none');
    expect(chooseLlmEndpoint(levels({ agent: { baseUrl: 'http://attacker.example/v1' }, server: SERVER })).apiKey).toBe('none');
  });

  test("the server's key goes to the server's URL, or to OpenAI's when no level set one", () => {
    expect(chooseLlmEndpoint(levels({ server: SERVER })).apiKey).toBe('sk-operator');
    expect(chooseLlmEndpoint(levels({ server: { model: 'm', apiKey: 'sk-operator' } }))).toMatchObject({ baseURL: OPENAI_BASE_URL, apiKey: 'sk-operator' });
  });

  test("the user's key goes to the user's URLs and to the server's", () => {
    expect(chooseLlmEndpoint(levels({ agent: { baseUrl: 'http://mine/v1' }, user: { apiKey: 'sk-user' }, server: SERVER })).apiKey).toBe('sk-user');
    expect(chooseLlmEndpoint(levels({ user: { apiKey: 'sk-user' }, server: SERVER })).apiKey).toBe('sk-user');
  });

  test('an override URL without an override key is sent no key', () => {
    const chosen = chooseLlmEndpoint(levels({ overrides: { llm_base_url: 'http://elsewhere/v1' }, user: { apiKey: 'sk-user' }, server: SERVER }));
    expect(chosen).toMatchObject({ baseURL: 'http://elsewhere/v1', apiKey: 'none' });
    expect(chooseLlmEndpoint(levels({ overrides: { llm_base_url: 'http://elsewhere/v1', llm_api_key: 'sk-new' }, server: SERVER })).apiKey).toBe('sk-new');
  });
});

describe('what is missing is named', () => {
  test('no model anywhere', () => {
    expect(() => chooseLlmEndpoint(levels({ user: { apiKey: 'sk' } }))).toThrow(LlmNotConfiguredError);
    expect(() => chooseLlmEndpoint(levels({ user: { apiKey: 'sk' } }))).toThrow(/llm_model/);
  });

  test("no key for OpenAI's endpoint", () => {
    expect(() => chooseLlmEndpoint(levels({ user: { model: 'gpt-4.1-mini' } }))).toThrow(/No API key for https:\/\/api\.openai\.com\/v1: set llm_api_key/);
  });

  test('an endpoint that needs no key is called without one', () => {
    expect(chooseLlmEndpoint(levels({ user: { model: 'llama3', baseUrl: 'http://localhost:11434/v1' } })).apiKey).toBe('none');
  });
});
