import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Page } from '@metisai/sdk/schemas';

export const DEFAULT_PAGE_SIZE = 20;

/** Given `limit + 1` rows, answers a page and the cursor of the next one. */
export function toPage<Row, Item>(rows: Row[], limit: number, toItem: (row: Row) => Item, cursorOf: (row: Row) => string): Page<Item> {
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  return {
    data: kept.map(toItem),
    has_more: hasMore,
    next_after: hasMore ? cursorOf(kept[kept.length - 1]!) : null,
  };
}

/** A page of rows matching `where`, newest first: ids are UUIDv7, so `after` is simply `id < after`. */
export async function listNewestFirst<Entity extends { id: string }, Item>(
  em: EntityManager,
  entity: EntityName<Entity>,
  where: FilterQuery<Entity>,
  params: { limit?: number; after?: string },
  toItem: (row: Entity) => Item,
): Promise<Page<Item>> {
  const limit = params.limit ?? DEFAULT_PAGE_SIZE;
  const filter = (params.after ? { $and: [where, { id: { $lt: params.after } }] } : where) as FilterQuery<Entity>;
  const rows = (await em.find(entity, filter, { orderBy: { id: 'desc' } as never, limit: limit + 1 })) as Entity[];
  return toPage(rows, limit, toItem, (row) => row.id);
}
