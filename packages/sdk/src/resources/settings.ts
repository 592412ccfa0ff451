import type { RequestOptions } from '../core/request-options.ts';
import {
  LlmTestResultSchema,
  SettingsSchema,
  type LlmTestParams,
  type LlmTestResult,
  type Settings as SettingsObject,
  type SettingsUpdateParams,
} from '../schemas/settings.ts';
import { APIResource } from './resource.ts';

/** `/api/v1/settings`: your defaults for agents. The LLM API key is write-only (`has_llm_api_key` shows it is set). */
export class Settings extends APIResource {
  /** Your settings (`GET /settings`). */
  get(options?: RequestOptions): Promise<SettingsObject> {
    return this.client.request({ ...options, method: 'get', path: '/settings', schema: SettingsSchema });
  }

  /** Changes settings (`PUT /settings`): only given fields change, and `null` clears one. */
  update(params: SettingsUpdateParams, options?: RequestOptions): Promise<SettingsObject> {
    return this.client.request({ ...options, method: 'put', path: '/settings', body: params, schema: SettingsSchema });
  }

  /**
   * Makes a one-token call to your LLM endpoint and reports the outcome (`POST /settings/llm-test`). Fields given here
   * override the saved ones, so a key can be checked before it is saved.
   */
  llmTest(params: LlmTestParams = {}, options?: RequestOptions): Promise<LlmTestResult> {
    return this.client.request({ ...options, method: 'post', path: '/settings/llm-test', body: params, schema: LlmTestResultSchema });
  }
}
