import { Migration } from '@mikro-orm/migrations';

/**
 * Multi-tenant hardening: API key scopes (existing keys become `manage`) and agent restrictions; where a session
 * was opened from; the shared rate-limit buckets; open event streams and running sandboxes counted for quotas; a
 * conversation's measured workspace size; idempotency rows tied to their user.
 */
export class Tenancy extends Migration {
  override name = '005-tenancy';

  override up(): void {
    this.addSql(`alter table api_keys add column scopes text[] not null default '{manage}'`);
    this.addSql('alter table api_keys alter column scopes drop default');
    this.addSql('alter table api_keys add column agent_ids uuid[]');

    this.addSql('alter table sessions add column ip text');
    this.addSql('alter table sessions add column user_agent text');

    // Token buckets shared by every process: `tokens` as of `updated_at`, refilled at `refill_per_second` up to
    // `capacity`; `full_at` is when an untouched bucket is full again (and its row can go).
    this.addSql(`
      create table rate_limits (
        key text primary key,
        tokens double precision not null,
        capacity double precision not null,
        refill_per_second double precision not null,
        allowed boolean not null,
        updated_at timestamptz not null,
        full_at timestamptz not null
      )`);
    this.addSql('create index rate_limits_full_at_idx on rate_limits (full_at)');

    // One row per open event stream; a row outlives a crashed process at most until `expires_at` (the stream's
    // maximum age), so counts never stay wrong for long.
    this.addSql(`
      create table open_streams (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        opened_at timestamptz not null,
        expires_at timestamptz not null
      )`);
    this.addSql('create index open_streams_user_idx on open_streams (user_id, expires_at)');

    this.addSql('alter table conversations add column workspace_bytes bigint');
    this.addSql('alter table conversations add column workspace_measured_at timestamptz');
    this.addSql(`create index conversations_user_running_idx on conversations (user_id) where state = 'running'`);

    this.addSql('alter table idempotency_keys add column user_id uuid references users (id) on delete cascade');
    this.addSql('create index idempotency_keys_user_idx on idempotency_keys (user_id) where user_id is not null');
  }

  override down(): void {
    this.addSql('drop index if exists idempotency_keys_user_idx');
    this.addSql('alter table idempotency_keys drop column if exists user_id');
    this.addSql('drop index if exists conversations_user_running_idx');
    this.addSql('alter table conversations drop column if exists workspace_measured_at');
    this.addSql('alter table conversations drop column if exists workspace_bytes');
    this.addSql('drop table if exists open_streams');
    this.addSql('drop table if exists rate_limits');
    this.addSql('alter table sessions drop column if exists user_agent');
    this.addSql('alter table sessions drop column if exists ip');
    this.addSql('alter table api_keys drop column if exists agent_ids');
    this.addSql('alter table api_keys drop column if exists scopes');
  }
}
