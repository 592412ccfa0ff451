import { Migration } from '@mikro-orm/migrations';

/**
 * Workspace snapshots and forks: a manifest per step that changed the workspace (`workspace_snapshots`), file bytes
 * content-addressed per user (`snapshot_blobs`), and on conversations where a fork came from (`forked_from_*`), the last
 * step whose snapshot is settled (`snapshot_seq`), the step a fork's workspace is still to be restored to
 * (`restore_seq`) and the first step whose snapshot is kept after pruning (`snapshots_pruned_before`).
 */
export class Snapshots extends Migration {
  override name = '010-snapshots';

  override up(): void {
    this.addSql('alter table conversations add column forked_from_id uuid');
    this.addSql('alter table conversations add column forked_from_seq integer');
    this.addSql('alter table conversations add column snapshot_seq integer not null default 0');
    this.addSql('alter table conversations add column restore_seq integer');
    this.addSql('alter table conversations add column snapshots_pruned_before integer not null default 0');
    this.addSql(`
      create table snapshot_blobs (
        user_id uuid not null references users (id) on delete cascade,
        sha256 text not null,
        size_bytes bigint not null,
        content bytea not null,
        created_at timestamptz not null default now(),
        primary key (user_id, sha256)
      )`);
    this.addSql(`
      create table workspace_snapshots (
        conversation_id uuid not null references conversations (id) on delete cascade,
        seq integer not null,
        manifest bytea,
        blobs text[] not null,
        files integer not null,
        bytes bigint not null,
        added_bytes bigint not null,
        created_at timestamptz not null default now(),
        primary key (conversation_id, seq)
      )`);
  }

  override down(): void {
    this.addSql('drop table if exists workspace_snapshots');
    this.addSql('drop table if exists snapshot_blobs');
    for (const column of ['snapshots_pruned_before', 'restore_seq', 'snapshot_seq', 'forked_from_seq', 'forked_from_id']) {
      this.addSql(`alter table conversations drop column if exists ${column}`);
    }
  }
}
