import { readdirSync, readFileSync } from 'node:fs';
import { REQUEST_RULES, type RequestRule } from './request-rules.ts';
import { assertTurn, type Turn } from './turn.ts';

/** Where the recorded provider shapes live: `fixtures/<provider>/<name>.json`. */
export const FIXTURES_DIR = new URL('../fixtures/', import.meta.url);

/**
 * A provider's replies as recorded: each turn answers one request of a conversation (most are wire turns replaying the
 * provider's chunk shapes verbatim). `source` cites the public report or documentation the shape comes from; `rules`
 * are the provider's checks on requests, applied to every turn.
 */
export interface ProviderFixture {
  provider: string;
  name: string;
  source: string[];
  description: string;
  rules: RequestRule[];
  turns: Turn[];
}

/** Reads and checks `fixtures/<provider>/<name>.json`; its rules are attached to every turn. Throws naming the problem. */
export function loadFixture(provider: string, name: string): ProviderFixture {
  const where = `fixtures/${provider}/${name}.json`;
  const value = JSON.parse(readFileSync(new URL(`${provider}/${name}.json`, FIXTURES_DIR), 'utf8')) as Record<string, unknown>;
  const sources = typeof value.source === 'string' ? [value.source] : value.source;
  if (!Array.isArray(sources) || sources.length === 0 || !sources.every((source) => typeof source === 'string' && /^https:\/\//.test(source))) {
    throw new Error(`${where}: source must cite the public report or documentation (https URLs)`);
  }
  if (typeof value.description !== 'string') throw new Error(`${where}: description must be a string`);
  const rules = (value.rules ?? []) as RequestRule[];
  if (!Array.isArray(rules) || !rules.every((rule) => (REQUEST_RULES as readonly string[]).includes(rule))) throw new Error(`${where}: unknown rules`);
  if (!Array.isArray(value.turns) || value.turns.length === 0) throw new Error(`${where}: turns must be a non-empty array`);
  const turns = value.turns.map((turn: unknown, index) => {
    assertTurn(turn, `${where} turns[${index}]`);
    return rules.length > 0 ? ({ ...turn, rules: [...rules, ...(turn.rules ?? [])] } as Turn) : turn;
  });
  return { provider, name, source: sources as string[], description: value.description, rules, turns };
}

/** Every fixture on disk, as `{ provider, name }`. */
export function listFixtures(): { provider: string; name: string }[] {
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(new URL(`${dir.name}/`, FIXTURES_DIR))
        .filter((file) => file.endsWith('.json'))
        .map((file) => ({ provider: dir.name, name: file.slice(0, -'.json'.length) })),
    )
    .sort((a, b) => `${a.provider}/${a.name}`.localeCompare(`${b.provider}/${b.name}`));
}
