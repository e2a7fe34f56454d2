import type { Bundle, ZObject } from 'zapier-platform-core';
import { SotionClient } from '../http/client';
import { brokenList, type DropdownPage } from '../http/pagination';

/** What z.cursor keeps between "Load more" pages: the next cursor and the ones followed. */
interface Kept {
  after: string;
  seen: string[];
}

/** The most recent cursors are enough to catch a loop and keep the stored text small. */
const KEPT_CURSORS = 500;

/** The kept state; a plain cursor (as earlier versions stored it) is read as one. */
export const readKept = (raw: string | null): Kept | undefined => {
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && 'after' in parsed && 'seen' in parsed) {
      const { after, seen } = parsed as { after: unknown; seen: unknown };
      if (typeof after === 'string' && Array.isArray(seen)) {
        return { after, seen: seen.filter((c): c is string => typeof c === 'string') };
      }
    }
  } catch {
    // a plain cursor
  }
  return { after: raw, seen: [] };
};

/**
 * One page of a dropdown with "Load more" (`canPaginate`): page 0 starts from the beginning,
 * each later page continues from the cursor the previous one left in z.cursor. An empty cursor
 * means the previous page was the last, so no request is made. The cursors already followed are
 * kept beside it, so a list whose cursors come round again stops with an error instead of
 * offering the same choices for ever.
 */
export const cursorPage = async <T>(
  z: ZObject,
  bundle: Bundle,
  target: string,
  read: (client: SotionClient, after: string | null, seen: string[]) => Promise<DropdownPage<T>>,
): Promise<T[]> => {
  let kept: Kept | undefined;
  if ((bundle.meta?.page ?? 0) > 0) {
    kept = readKept(await z.cursor.get());
    if (!kept) return [];
  }
  const client = new SotionClient(z, bundle);
  const seen = kept ? [...kept.seen, kept.after] : [];
  const page = await read(client, kept?.after ?? null, seen);
  const followed = [...seen, ...(page.followed ?? [])];
  if (page.nextCursor && followed.includes(page.nextCursor)) {
    throw brokenList(client, target, `repeated the cursor ${page.nextCursor}`, page.requestId);
  }
  await z.cursor.set(
    page.nextCursor
      ? JSON.stringify({ after: page.nextCursor, seen: followed.slice(-KEPT_CURSORS) })
      : '',
  );
  return page.items;
};
