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
