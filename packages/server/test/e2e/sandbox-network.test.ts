import { randomBytes } from 'node:crypto';
import { turns } from '@metisai/scripted-llm';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { removeSandboxNetwork } from '../../../sandbox/src/docker/sandbox-network.ts';
// The sandbox package's policy, reused as is: no engine → a warning and a skip; CI set and no engine → a failure.
import { hasDocker } from '../../../sandbox/test/helpers/docker-availability.ts';
import { eventsOf, scripted, startRuntime, waitForState, type Runtime } from '../runtime/runtime-harness.ts';
import { newConversation, runningAgent } from './e2e-helpers.ts';

const IMAGE = 'metisai/sandbox:latest';

/** What the sandbox's network interfaces are, as the agent sees them (one run: list them, finish). */
async function interfacesSeen(rt: Runtime, conversationId: string): Promise<string> {
  rt.llm.setScript(
    scripted([() => turns.toolCall('execute_bash', { command: 'ls /sys/class/net | sort | tr "\\n" " "' }), () => turns.toolCall('finish', { message: 'ok' })]),
  );
  expect((await rt.http.post(`/api/v1/conversations/${conversationId}/messages`, { content: 'which interfaces?' })).status).toBe(202);
  expect((await waitForState(rt.http, conversationId, ['finished', 'error', 'idle'], 60_000)).state).toBe('finished');
  const events = await eventsOf(rt.http, conversationId);
  const action = events.filter((event) => event.type === 'action' && event.tool === 'execute_bash').at(-1)!;
  const observation = events.find((event) => event.type === 'observation' && event.tool_call_id === action.tool_call_id)!;
  return observation.content.split('\n')[0]!.trim();
}

describe.skipIf(!hasDocker)("an agent's network policy, over HTTP", () => {
  const network = `metisai-test-${randomBytes(4).toString('hex')}`;
  let rt: Runtime;
  beforeAll(async () => {
    rt = await startRuntime({ driver: 'docker', env: { SANDBOX_IMAGE: IMAGE, SANDBOX_NETWORK: network } });
  }, 60_000);
  afterAll(async () => {
    await rt?.close();
    await removeSandboxNetwork(new Docker(), network, IMAGE);
  }, 60_000);

  test('none gives loopback only; a change to egress moves the live sandbox, and the warm pool of none is not handed out', async () => {
    const agentId = await runningAgent(rt, 'Offline', { network: 'none', warm_pool_size: 1 });
    const first = await newConversation(rt.http, { agent_id: agentId });
    expect(await interfacesSeen(rt, first)).toBe('lo');

    expect((await rt.http.put(`/api/v1/agents/${agentId}`, { config: { network: 'egress', warm_pool_size: 1 } })).status).toBe(200);
    // The same conversation's sandbox, moved onto the sandbox network.
    expect(await interfacesSeen(rt, first)).toBe('eth0 lo');
    // A new conversation asks for egress: the pool still holds a sandbox made for none, which it must not get.
    const second = await newConversation(rt.http, { agent_id: agentId });
    expect(await interfacesSeen(rt, second)).toBe('eth0 lo');
    // It was created for it (pooled sandboxes carry no conversation label), on the sandbox network alone.
    const [created] = await new Docker().listContainers({ all: true, filters: { label: [`metisai.conversation=${second}`] } });
    expect(Object.keys(created!.NetworkSettings.Networks)).toEqual([network]);
  }, 180_000);
});
