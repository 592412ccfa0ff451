import { Migration } from '@mikro-orm/migrations';

/**
 * Repositories: a conversation started from a git repository keeps what was asked (URL, ref, depth, the name of the
 * token's secret — never the token), the clone's status and the commit it checked out.
 */
export class Repositories extends Migration {
  override name = '009-repositories';

  override up(): void {
    this.addSql('alter table conversations add column repository jsonb');
  }

  override down(): void {
    this.addSql('alter table conversations drop column if exists repository');
  }
}
