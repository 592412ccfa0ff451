import { turns } from '@metisai/scripted-llm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../support/http.ts';
import { eventsOf, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { newConversation, Streams } from '../e2e/e2e-helpers.ts';

let rt: Runtime;
const streams = new Streams();
beforeAll(async () => {
  rt = await startRuntime({ env: { METRICS_PORT: '0' } });
});
afterAll(async () => {
  streams.closeAll();
  await rt?.close();
});

const scrape = async () => {
  const response = await fetch(rt.server.metricsUrl!);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

/** The value of the sample `name{labels}` (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => have[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('Prometheus metrics on METRICS_PORT', () => {
  test('every metric by name: HTTP by route template, runs and sandboxes by state, LLM calls/tokens/errors by provider, streams, event loop, pool', async () => {
    const provider = new URL(rt.llm.url).host;
    // One failed call (401), then a run that runs a command and finishes.
    rt.llm.setScript([turns.error(401, 'Incorrect API key provided')]);
    const failed = await newConversation(rt.http);
    expect((await rt.http.post(`/api/v1/conversations/${failed}/messages`, { content: 'hi' })).status).toBe(202);
    await waitForState(rt.http, failed, ['error']);
    rt.llm.setScript([turns.toolCall('execute_bash', { command: 'echo metrics' }), turns.toolCall('finish', { message: 'done' })]);
    const id = await newConversation(rt.http);
    expect((await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'run it' })).status).toBe(202);
    await waitForState(rt.http, id, ['finished']);
    expect((await eventsOf(rt.http, id)).some((event) => event.type === 'observation')).toBe(true);
    // An event stream stays open while we scrape.
    await streams.open(rt.server.url, id, rt.user.token);

    const text = await eventually(async () => {
      const body = await scrape();
      return sample(body, 'metisai_open_event_streams') === 1 ? body : null;
    });
    // HTTP latency by method, route template and status: never the raw path with an id in it.
    expect(sample(text, 'metisai_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/conversations/:id/messages', status: '202' })).toBe(2);
    expect(text).not.toContain(`route="/api/v1/conversations/${id}`);
    expect(sample(text, 'metisai_http_request_duration_seconds_bucket', { route: '/api/v1/conversations', method: 'POST', le: '+Inf' })).toBe(2);
    // Runs by state (from the database) and sandboxes by state (from the driver).
    expect(sample(text, 'metisai_runs', { state: 'finished' })).toBe(1);
    expect(sample(text, 'metisai_runs', { state: 'error' })).toBe(1);
    expect(text).toMatch(/^# TYPE metisai_sandboxes gauge$/m);
    expect(sample(text, 'metisai_sandboxes', { state: 'running' })).toBeGreaterThanOrEqual(1);
    // LLM calls, errors and tokens by provider host.
    expect(sample(text, 'metisai_llm_calls_total', { provider, outcome: 'ok' })).toBe(2);
    expect(sample(text, 'metisai_llm_calls_total', { provider, outcome: 'llm_auth' })).toBe(1);
    expect(sample(text, 'metisai_llm_errors_total', { provider, code: 'llm_auth' })).toBe(1);
    expect(sample(text, 'metisai_llm_tokens_total', { provider, kind: 'prompt' })).toBeGreaterThan(0);
    expect(sample(text, 'metisai_llm_tokens_total', { provider, kind: 'completion' })).toBeGreaterThan(0);
    // Event-loop lag and the database pool.
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_p99_seconds gauge$/m);
    expect(sample(text, 'metisai_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'metisai_db_pool_connections', { state: 'waiting' })).toBe(0);
    expect(sample(text, 'metisai_db_pool_max')).toBe(10);
  });

  test('only GET /metrics answers on the metrics port, and the API port has no /metrics', async () => {
    expect((await fetch(new URL('/', rt.server.metricsUrl!))).status).toBe(404);
    expect((await fetch(rt.server.metricsUrl!, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${rt.server.url}/metrics`)).status).toBe(404);
  });
});
