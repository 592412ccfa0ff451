import { PagePromise } from '../core/pagination.ts';
import type { RequestOptions } from '../core/request-options.ts';
import { path } from '../internal/path.ts';
import {
  AgentSchema,
  AgentStatusResponseSchema,
  type Agent,
  type AgentCreateParams,
  type AgentStatusResponse,
  type AgentUpdateParams,
} from '../schemas/agent.ts';
import { pageOf, type ListParams } from '../schemas/common.ts';
import { LlmTestResultSchema, type LlmTestResult } from '../schemas/settings.ts';
import { APIResource } from './resource.ts';

const AgentPageSchema = pageOf(AgentSchema);

/**
 * `/api/v1/agents`: named agent configurations and their lifecycle (`stopped → starting → running → stopping`), without
 * the embedding resources (`Agents` adds them): what `@metisai/sdk/lean` ships.
 */
export class AgentsCore extends APIResource {
  /** Your agents, newest first (`GET /agents`). `await` for a page, or `for await` over every agent. */
  list(params: Omit<ListParams, 'after'> & { after?: string } = {}, options?: RequestOptions): PagePromise<Agent> {
    return new PagePromise((after) => this.client.get('/agents', AgentPageSchema, { ...options, query: { limit: params.limit, after } }), params.after);
  }

  /** One agent (`GET /agents/{id}`). `NotFoundError` when missing or not yours. */
  get(agentId: string, options?: RequestOptions): Promise<Agent> {
    return this.client.get(path`/agents/${agentId}`, AgentSchema, options);
  }

  /** Creates an agent, `stopped` (`POST /agents`). An unknown `config` field is a `BadRequestError` naming it. */
  create(params: AgentCreateParams, options?: RequestOptions): Promise<Agent> {
    return this.client.request({ ...options, method: 'post', path: '/agents', body: params, schema: AgentSchema });
  }

  /** Changes an agent (`PUT /agents/{id}`): only given fields change, and a given `config` replaces the old one whole. */
  update(agentId: string, params: AgentUpdateParams, options?: RequestOptions): Promise<Agent> {
    return this.client.request({ ...options, method: 'put', path: path`/agents/${agentId}`, body: params, schema: AgentSchema });
  }

  /** Stops and deletes an agent (`DELETE /agents/{id}`); its conversations stay readable and refuse new messages. */
  delete(agentId: string, options?: RequestOptions): Promise<void> {
    return this.client.request({ ...options, method: 'delete', path: path`/agents/${agentId}` });
  }

  /**
   * Starts an agent from `stopped` or `error` (`POST /agents/{id}/start`); answers `starting`, and the rest happens in
   * the background: poll `get()`. Another state is a `ConflictError` (`invalid_transition`, with `current_status`).
   */
  start(agentId: string, options?: RequestOptions): Promise<AgentStatusResponse> {
    return this.client.request({ ...options, method: 'post', path: path`/agents/${agentId}/start`, schema: AgentStatusResponseSchema });
  }

  /** Stops an agent from `starting`, `running` or `error` (`POST /agents/{id}/stop`); answers `stopping`. */
  stop(agentId: string, options?: RequestOptions): Promise<AgentStatusResponse> {
    return this.client.request({ ...options, method: 'post', path: path`/agents/${agentId}/stop`, schema: AgentStatusResponseSchema });
  }

  /**
   * Makes a one-token call to the agent's LLM endpoint (its config, then your settings, then the server's) and reports
   * the outcome (`POST /agents/{id}/llm-test`). A provider failure is `{ ok: false, error }`, not an exception.
   */
  llmTest(agentId: string, options?: RequestOptions): Promise<LlmTestResult> {
    return this.client.request({ ...options, method: 'post', path: path`/agents/${agentId}/llm-test`, schema: LlmTestResultSchema });
  }
}
