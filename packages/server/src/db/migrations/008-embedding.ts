import { Migration } from '@mikro-orm/migrations';

/**
 * Embedding: an agent's publishable keys and policy generation, its visitors (anonymous or named by an app's backend),
 * visitors' conversations, the usage their quotas count (kept apart from conversations, so deleting one frees
 * nothing), and visitors' open event streams.
 */
export class Embedding extends Migration {
  override name = '008-embedding';

  override up(): void {
    // Bumped by every change that must end visitor tokens at once (a key rotated or revoked, origins changed,
    // embedding turned off, the agent deleted): tokens carry the generation they were minted at.
    this.addSql('alter table agents add column embed_generation integer not null default 0');

    this.addSql(`
      create table publishable_keys (
        id uuid primary key,
        agent_id uuid not null references agents (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        key text not null unique,
        allowed_origins text[] not null,
        created_at timestamptz not null,
        rotated_at timestamptz
      )`);
    this.addSql('create index publishable_keys_agent_idx on publishable_keys (agent_id, id desc)');

    // `resume_key_hash`: SHA-256 of the visitor's secret (anonymous visitors); `user_ref`: the app's id for a user
    // (visitors of server-minted tokens), unique per agent.
    this.addSql(`
      create table visitors (
        id uuid primary key,
        agent_id uuid not null references agents (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        resume_key_hash text,
        user_ref text,
        created_at timestamptz not null,
        last_seen_at timestamptz not null
      )`);
    this.addSql('create unique index visitors_agent_user_ref_idx on visitors (agent_id, user_ref) where user_ref is not null');

    this.addSql('alter table conversations add column visitor_id uuid references visitors (id) on delete cascade');
    this.addSql('create index conversations_visitor_idx on conversations (visitor_id, id desc) where visitor_id is not null');
    this.addSql('create index conversations_visitor_updated_idx on conversations (agent_id, updated_at) where visitor_id is not null');
    this.addSql(`create index conversations_visitor_confirmation_idx on conversations (id) where visitor_id is not null and state = 'awaiting_confirmation'`);

    // One row per visitor message (`messages` = 1) and per LLM call of a visitor's run (`tokens`).
    this.addSql(`
      create table embed_usage (
        id bigint generated always as identity primary key,
        agent_id uuid not null references agents (id) on delete cascade,
        visitor_id uuid not null references visitors (id) on delete cascade,
        messages integer not null,
        tokens bigint not null,
        created_at timestamptz not null default now()
      )`);
    this.addSql('create index embed_usage_visitor_idx on embed_usage (visitor_id, created_at)');
    this.addSql('create index embed_usage_agent_idx on embed_usage (agent_id, created_at)');

    this.addSql('alter table open_streams add column visitor_id uuid references visitors (id) on delete cascade');
    this.addSql('create index open_streams_visitor_idx on open_streams (visitor_id, expires_at) where visitor_id is not null');
  }

  override down(): void {
    this.addSql('drop index if exists open_streams_visitor_idx');
    this.addSql('alter table open_streams drop column if exists visitor_id');
    this.addSql('drop table if exists embed_usage');
    this.addSql('drop index if exists conversations_visitor_confirmation_idx');
    this.addSql('drop index if exists conversations_visitor_updated_idx');
    this.addSql('drop index if exists conversations_visitor_idx');
    this.addSql('alter table conversations drop column if exists visitor_id');
    this.addSql('drop table if exists visitors');
    this.addSql('drop table if exists publishable_keys');
    this.addSql('alter table agents drop column if exists embed_generation');
  }
}
