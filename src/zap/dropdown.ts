import type { Bundle, ZObject } from 'zapier-platform-core';
import { SotionClient } from '../http/client';

/**
 * One page of a dropdown with "Load more" (`canPaginate`): page 0 starts from the beginning,
 * each later page continues from the cursor the previous one left in z.cursor. An empty cursor
 * means the previous page was the last, so no request is made.
 */
export const cursorPage = async <T>(
  z: ZObject,
  bundle: Bundle,
  read: (
    client: SotionClient,
    after: string | null,
  ) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> => {
  let after: string | null = null;
  if ((bundle.meta?.page ?? 0) > 0) {
    after = (await z.cursor.get()) || null;
    if (!after) return [];
  }
  const { items, nextCursor } = await read(new SotionClient(z, bundle), after);
  await z.cursor.set(nextCursor ?? '');
  return items;
};
