import type { LlmCallOutcome, TokenUsage } from '../agent/index.ts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { ProviderLabels } from './provider-labels.ts';

/** What the gauges read when Prometheus scrapes (each may throw: the gauge then keeps its last value). */
export interface MetricsSources {
  /** Conversations by run state (`idle`, `running`, …), installation-wide: read from the database. */
  runsByState(): Promise<Record<string, number>>;
  /** Sandboxes of this installation by state (`running`, `stopped`, …), read from the engine. */
  sandboxesByState(): Promise<Record<string, number>>;
  /** Event streams open in this process. */
  openStreams(): number;
  /** This process's database pool: connections open, idle, and requests waiting for one; its size. */
  pool(): { total: number; idle: number; waiting: number; max: number } | null;
}

/** Seconds; the API answers in milliseconds, LLM-bound routes and uploads take longer. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The server's Prometheus metrics (prom-client), one registry per server. Names, labels and meanings are listed in
 * docs/deployment.md#metrics; every series is of this process (sum counters and histograms across replicas; the
 * installation-wide gauges `metisai_runs` and `metisai_sandboxes` are the same in each, take `max`).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #http: Histogram<'method' | 'route' | 'status'>;
  readonly #llmCalls: Counter<'provider' | 'outcome'>;
  readonly #llmTokens: Counter<'provider' | 'kind'>;
  readonly #llmErrors: Counter<'provider' | 'code'>;
  readonly #providers = new ProviderLabels();

  constructor(sources: MetricsSources, logger: Logger) {
    const registers = [this.registry];
    // Event-loop lag (nodejs_eventloop_lag_*), heap, GC, CPU, open handles: prom-client's defaults.
    collectDefaultMetrics({ register: this.registry });
    this.#http = new Histogram({
      name: 'metisai_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status: time until the response starts (an event stream counts until its headers)',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.#llmCalls = new Counter({
      name: 'metisai_llm_calls_total',
      help: 'LLM calls of runs (each attempt) by provider host (the first 10 seen, then other) and outcome (ok or the error class)',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    this.#llmTokens = new Counter({
      name: 'metisai_llm_tokens_total',
      help: 'Tokens of LLM calls as providers reported them, by provider host and kind (prompt, completion)',
      labelNames: ['provider', 'kind'],
      registers,
    });
    this.#llmErrors = new Counter({
      name: 'metisai_llm_errors_total',
      help: 'Failed LLM calls by provider host and error class (llm_rate_limited, llm_timeout, …)',
      labelNames: ['provider', 'code'],
      registers,
    });
    const byState = (name: string, help: string, read: () => Promise<Record<string, number>>) =>
      new Gauge({
        name,
        help,
        labelNames: ['state'],
        registers,
        async collect() {
          try {
            const counts = await read();
            this.reset();
            for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
          } catch (error) {
            logger.warn({ err: error, metric: name }, 'metric not collected');
          }
        },
      });
    byState('metisai_runs', 'Conversations by run state, installation-wide (the same in every replica)', () => sources.runsByState());
    byState('metisai_sandboxes', 'Sandboxes of this installation by state, from the engine (the same in every replica)', () => sources.sandboxesByState());
    new Gauge({
      name: 'metisai_open_event_streams',
      help: 'Event streams (SSE) open in this process',
      registers,
      collect() {
        this.set(sources.openStreams());
      },
    });
    new Gauge({
      name: 'metisai_db_pool_connections',
      help: "This process's database pool: connections by state (total, idle), and queries waiting for one (waiting)",
      labelNames: ['state'],
      registers,
      collect() {
        const pool = sources.pool();
        if (!pool) return;
        this.set({ state: 'total' }, pool.total);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
    new Gauge({
      name: 'metisai_db_pool_max',
      help: "Size of this process's database pool",
      registers,
      collect() {
        const pool = sources.pool();
        if (pool) this.set(pool.max);
      },
    });
  }

  /** Records one HTTP request; `route` is the router's template (`/api/v1/agents/:id`), never the raw path. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.#http.observe({ method, route, status: String(status) }, seconds);
  }

  /** The runner's `LlmCallObserver`: calls, errors and tokens by provider. */
  readonly llmCalls = {
    call: (baseUrl: string, outcome: LlmCallOutcome): void => {
      const provider = this.#providers.label(baseUrl);
      this.#llmCalls.inc({ provider, outcome });
      if (outcome !== 'ok') this.#llmErrors.inc({ provider, code: outcome });
    },
    tokens: (baseUrl: string, usage: TokenUsage): void => {
      const provider = this.#providers.label(baseUrl);
      this.#llmTokens.inc({ provider, kind: 'prompt' }, usage.prompt_tokens);
      this.#llmTokens.inc({ provider, kind: 'completion' }, usage.completion_tokens);
    },
  };
}
