import { Migration } from '@mikro-orm/migrations';

/**
 * What a starting agent is doing (`agents.status_detail`, the structured side of `status_message`), and the sandbox
 * image builds the servers of this database run: one row per image, written by the process holding the build's
 * advisory lock and read by every other (see `sandboxes/image-build.ts`).
 */
export class AgentStartProgress extends Migration {
  override name = '006-agent-start-progress';

  override up(): void {
    this.addSql('alter table agents add column status_detail jsonb');
    this.addSql(`
      create table image_builds (
        image text primary key,
        status text not null check (status in ('building', 'succeeded', 'failed')),
        step integer,
        steps integer,
        instruction text,
        log_lines integer not null default 0,
        error text,
        started_at timestamptz not null,
        updated_at timestamptz not null,
        finished_at timestamptz
      )`);
  }

  override down(): void {
    this.addSql('drop table if exists image_builds');
    this.addSql('alter table agents drop column if exists status_detail');
  }
}
