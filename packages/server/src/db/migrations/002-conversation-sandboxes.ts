import { Migration } from '@mikro-orm/migrations';

/** The sandbox a conversation works in, kept across restarts so its files survive. */
export class ConversationSandboxes extends Migration {
  override name = '002-conversation-sandboxes';

  override up(): void {
    this.addSql('alter table conversations add column sandbox_id text');
    // Identifies this database among others on the same Docker engine: sandboxes are labelled with it, so a
    // server only ever reaps sandboxes of its own installation.
    this.addSql('create table installation (id uuid primary key, created_at timestamptz not null default now())');
    this.addSql('insert into installation (id) values (gen_random_uuid())');
    this.addSql(`create index conversations_running_idx on conversations (state) where state in ('running', 'awaiting_confirmation')`);
  }

  override down(): void {
    this.addSql('drop index if exists conversations_running_idx');
    this.addSql('drop table if exists installation');
    this.addSql('alter table conversations drop column if exists sandbox_id');
  }
}
