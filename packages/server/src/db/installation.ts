import type { Orm } from './orm.ts';

/**
 * This installation's id: one row of `installation`, created by the first migration (a database cloned from another
 * gets a new one). Sandboxes are labelled with it, so a server only ever reaps its own installation's.
 */
export async function readInstallationId(orm: Orm): Promise<string> {
  const [row] = await orm.em.fork().execute<{ id: string }[]>('select id from installation limit 1');
  if (!row) throw new Error('the installation table is empty: the database was not migrated');
  return row.id;
}
