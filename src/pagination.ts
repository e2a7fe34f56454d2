import type { z as zod } from 'zod';
import type { Query, SotionClient } from './client';
import { userError } from './errors';
import { list } from './schemas';

/** Sotion's documented page size range for every list endpoint. */
export const MAX_PAGE_SIZE = 100;

export interface Page<T> {
  items: T[];
  hasMore: boolean;
  nextCursor: string | null;
  requestId: string;
}

export interface PageRequest {
  /** The cursor: the previous page's `pagination.nextCursor`. */
  after?: string | null;
  /** 1–100; clamped into that range. */
  limit?: number;
  query?: Query;
}

export const clampLimit = (limit: number | undefined): number =>
  Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit ?? MAX_PAGE_SIZE)));

/** One page of a cursor-paginated list. */
export const fetchPage = async <S extends zod.ZodType>(
  client: SotionClient,
  path: string,
  item: S,
  request: PageRequest,
): Promise<Page<zod.output<S>>> => {
  const { data, requestId } = await client.call({
    method: 'GET',
    path,
    query: {
      ...request.query,
      limit: clampLimit(request.limit),
      after: request.after ?? undefined,
    },
    schema: list(item),
  });
  return {
    items: data.data,
    hasMore: data.pagination.hasMore,
    nextCursor: data.pagination.nextCursor,
    requestId,
  };
};

/**
 * Every page of a list, in the order Sotion serves them. The consumer may stop early (break).
 * A cursor that repeats, or "more pages" without a cursor, is a broken contract: it stops with a
 * clear error instead of looping or quietly ending early.
 */
export async function* walkPages<S extends zod.ZodType>(
  client: SotionClient,
  path: string,
  item: S,
  request: PageRequest,
): AsyncGenerator<Page<zod.output<S>>> {
  const seen = new Set<string>();
  let after = request.after ?? null;
  for (;;) {
    const page = await fetchPage(client, path, item, { ...request, after });
    yield page;
    if (!page.hasMore) return;
    if (!page.nextCursor || seen.has(page.nextCursor)) {
      throw userError(
        client.z,
        `Sotion said more results follow ${path} but ${
          page.nextCursor ? `repeated the cursor ${page.nextCursor}` : 'gave no cursor'
        }, so the list cannot be read to the end. Please report this to Sotion support.` +
          ` (X-Request-Id: ${page.requestId})`,
        'bad_pagination',
        { requestId: page.requestId, transient: false },
      );
    }
    seen.add(page.nextCursor);
    after = page.nextCursor;
  }
}
