import { Migration } from '@mikro-orm/migrations';

/**
 * Workspaces: the name of a conversation's workspace (its Docker volume outlives the container), and the baseline its
 * changes are computed against (taken when its first sandbox is created).
 */
export class Workspaces extends Migration {
  override name = '007-workspaces';

  override up(): void {
    this.addSql('alter table conversations add column workspace text');
    this.addSql('alter table conversations add column baseline_at timestamptz');
    this.addSql(`
      create table workspace_baseline_files (
        conversation_id uuid not null references conversations (id) on delete cascade,
        path text not null,
        size_bytes bigint not null,
        mtime_ms double precision not null,
        is_binary boolean not null,
        content bytea,
        primary key (conversation_id, path)
      )`);
  }

  override down(): void {
    this.addSql('drop table if exists workspace_baseline_files');
    this.addSql('alter table conversations drop column if exists baseline_at');
    this.addSql('alter table conversations drop column if exists workspace');
  }
}
