import { Migration } from '@mikro-orm/migrations';

/** Users, their tokens, agents, conversations with their event log, settings, secrets, API keys, idempotency. */
export class InitialSchema extends Migration {
  override name = '001-initial-schema';

  override up(): void {
    this.addSql(`
      create table users (
        id uuid primary key,
        email text not null,
        password_hash text not null,
        name text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql('create unique index users_email_lower_key on users (lower(email))');

    this.addSql(`
      create table sessions (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        revoked_at timestamptz
      )`);
    this.addSql('create index sessions_user_id_idx on sessions (user_id)');
    this.addSql('create index sessions_expires_at_idx on sessions (expires_at)');

    this.addSql(`
      create table agents (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        name text not null,
        description text,
        config jsonb not null,
        status text not null default 'stopped' check (status in ('stopped', 'starting', 'running', 'stopping', 'error')),
        status_message text,
        deleted_at timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql('create index agents_user_id_idx on agents (user_id, id desc) where deleted_at is null');

    this.addSql(`
      create table conversations (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        agent_id uuid references agents (id) on delete set null,
        title text,
        state text not null default 'idle' check (state in ('idle', 'running', 'awaiting_confirmation', 'finished', 'stopped', 'error')),
        last_seq integer not null default 0,
        prompt_tokens integer not null default 0,
        completion_tokens integer not null default 0,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql('create index conversations_user_id_idx on conversations (user_id, id desc)');
    this.addSql('create index conversations_user_agent_idx on conversations (user_id, agent_id, id desc)');
    this.addSql('create index conversations_agent_id_idx on conversations (agent_id)');

    this.addSql(`
      create table events (
        id uuid primary key,
        conversation_id uuid not null references conversations (id) on delete cascade,
        seq integer not null,
        type text not null,
        payload jsonb not null,
        created_at timestamptz not null,
        constraint events_conversation_seq_key unique (conversation_id, seq)
      )`);
    this.addSql(`create index events_messages_idx on events (conversation_id, seq) where type = 'message'`);

    this.addSql(`
      create table settings (
        user_id uuid primary key references users (id) on delete cascade,
        llm_model text,
        llm_base_url text,
        llm_api_key_encrypted text,
        max_iterations integer,
        confirmation_mode boolean not null default false,
        updated_at timestamptz not null
      )`);

    this.addSql(`
      create table secrets (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        name text not null,
        value_encrypted text not null,
        description text,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        constraint secrets_user_name_key unique (user_id, name)
      )`);
    this.addSql('create index secrets_user_id_idx on secrets (user_id, id desc)');

    this.addSql(`
      create table api_keys (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        name text not null,
        prefix text not null,
        key_hash text not null unique,
        created_at timestamptz not null,
        last_used_at timestamptz,
        expires_at timestamptz
      )`);
    this.addSql('create index api_keys_user_id_idx on api_keys (user_id, id desc)');

    this.addSql(`
      create table idempotency_keys (
        scope text not null,
        key text not null,
        request_hash text not null,
        status integer,
        response_body text,
        created_at timestamptz not null,
        primary key (scope, key)
      )`);
    this.addSql('create index idempotency_keys_created_at_idx on idempotency_keys (created_at)');
  }

  override down(): void {
    for (const table of ['idempotency_keys', 'api_keys', 'secrets', 'settings', 'events', 'conversations', 'agents', 'sessions', 'users']) {
      this.addSql(`drop table if exists ${table}`);
    }
  }
}
