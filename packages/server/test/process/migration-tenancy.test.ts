import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject, test } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createOrm, migrate } from '../../src/db/orm.ts';

test('migration 005-tenancy gives existing API keys the manage scope and no agent restriction', async () => {
  const adminUrl = inject('pgAdminUrl');
  const name = `metis_migration_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const orm = await createOrm({ databaseUrl: url.toString(), logger: createLogger('silent') });
  try {
    await orm.migrator.up({ to: '003-llm-calls' });
    const em = orm.em.fork();
    await em.execute(
      `insert into users (id, email, password_hash, created_at, updated_at) values ('0192a000-0000-7000-8000-000000000001', 'old@example.com', 'x', now(), now())`,
    );
    await em.execute(
      `insert into api_keys (id, user_id, name, prefix, key_hash, created_at) values ('0192a000-0000-7000-8000-000000000002', '0192a000-0000-7000-8000-000000000001', 'old', 'metis_abc', 'hash', now())`,
    );
    expect(await migrate(orm, url.toString())).toContain('005-tenancy');
    const [key] = await orm.em.fork().execute<{ scopes: string[]; agent_ids: string[] | null }[]>('select scopes, agent_ids from api_keys');
    expect(key).toEqual({ scopes: ['manage'], agent_ids: null });
  } finally {
    await orm.close();
    await admin.query(`drop database ${name} with (force)`);
    await admin.end();
  }
});
