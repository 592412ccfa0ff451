import { randomBytes } from 'node:crypto';
import { turns } from '@metisai/scripted-llm';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { removeSandboxNetwork } from '../../../sandbox/src/docker/sandbox-network.ts';
// The sandbox package's policy, reused as is: no engine → a warning and a skip; CI set and no engine → a failure.
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { eventually } from '../support/http.ts';
import { eventsOf, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { embeddableAgent, newVisitor, publishableKey, startAgent, type VisitorClient } from './embed-helpers.ts';

const IMAGE = 'metisai/sandbox:latest';
/** What the sandbox sees: its interfaces, whether a TCP connection out succeeds, and its environment. */
const PROBE =
  'ls /sys/class/net | sort | tr "\\n" " "; echo; (timeout 5 bash -c "exec 3<>/dev/tcp/1.1.1.1/80" && echo CONNECTED || echo NO-NETWORK) 2>/dev/null; env';

/**
 * A visitor's sandbox under the default embed policy, on Docker: no network at all (the agent's own conversations keep
 * theirs) and none of the owner's secrets.
 */
describe.skipIf(!hasDocker)("a visitor's sandbox on Docker", () => {
  const network = `metisai-test-${randomBytes(4).toString('hex')}`;
  let rt: Runtime;
  beforeAll(async () => {
    rt = await startRuntime({ driver: 'docker', env: { SANDBOX_IMAGE: IMAGE, SANDBOX_NETWORK: network } });
  }, 60_000);
  afterAll(async () => {
    await rt?.close();
    await removeSandboxNetwork(new Docker(), network, IMAGE);
  }, 60_000);

  const probeOutput = (events: Array<Record<string, any>>) => events.find((event) => event.type === 'observation')!.content as string;

  test('has loopback only (a connection out fails) and no owner secrets; the owner’s conversation with the same agent has both', async () => {
    expect((await rt.http.post('/api/v1/secrets', { name: 'OWNER_TOKEN', value: 'owner-secret-value-5678' })).status).toBe(201);
    // The agent itself may reach the internet and has the secret; its visitors get the policy's defaults.
    const agentId = await embeddableAgent(rt.http, { warm_pool_size: 1, network: 'egress', secrets: ['OWNER_TOKEN'] });
    await startAgent(rt.http, agentId);
    const visitor = await newVisitor(rt.server.url, (await publishableKey(rt.http, agentId)).key);

    rt.llm.setScript([turns.toolCall('execute_bash', { command: PROBE }), turns.toolCall('finish', { message: 'ok' })]);
    const client: VisitorClient = visitor.client;
    const conversation = (await client.post('/api/v1/embed/conversations', {})).body.id as string;
    expect((await client.post(`/api/v1/embed/conversations/${conversation}/messages`, { content: 'probe' })).status).toBe(202);
    await eventually(async () => (await client.get(`/api/v1/embed/conversations/${conversation}`)).body.state === 'finished', 90_000);
    const seen = probeOutput((await client.get(`/api/v1/embed/conversations/${conversation}/events?limit=1000`)).body.data);
    expect(seen.split('\n')[0]!.trim()).toBe('lo');
    expect(seen).toContain('NO-NETWORK');
    expect(seen).not.toContain('CONNECTED');
    expect(seen).not.toContain('OWNER_TOKEN');
    // It was made for the visitor (labelled so), not taken from the agent's warm pool.
    const [container] = await new Docker().listContainers({ all: true, filters: { label: [`metisai.conversation=${conversation}`] } });
    expect(container!.Labels).toMatchObject({ 'metisai.embed.agent': agentId, 'metisai.embed.visitor': visitor.visitor.id });

    rt.llm.setScript([turns.toolCall('execute_bash', { command: PROBE }), turns.toolCall('finish', { message: 'ok' })]);
    const own = (await rt.http.post('/api/v1/conversations', { agent_id: agentId })).body.id as string;
    await rt.http.post(`/api/v1/conversations/${own}/messages`, { content: 'probe' });
    expect((await waitForState(rt.http, own, ['finished', 'error'], 90_000)).state).toBe('finished');
    const owners = probeOutput(await eventsOf(rt.http, own));
    expect(owners.split('\n')[0]!.trim()).toBe('eth0 lo');
    expect(owners).toContain('OWNER_TOKEN=<secret_hidden>');
  }, 240_000);
});
