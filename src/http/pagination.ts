import type { z as zod } from 'zod';
import type { CallArgs, Query, SotionClient } from './client';
import { describe, type Endpoint } from './endpoint';
import { requestIdSuffix, userError } from './errors';

/** Sotion's documented page size range for every list endpoint. */
export const MAX_PAGE_SIZE = 100;

export interface Page<T> {
  items: T[];
  hasMore: boolean;
  nextCursor: string | null;
  requestId: string | undefined;
}

/** A list endpoint: answers `{ data: [...], pagination: { hasMore, nextCursor } }`. */
type ListBody = { data: unknown[]; pagination: { hasMore: boolean; nextCursor: string | null } };
type ListEndpoint<S extends zod.ZodType, P extends string> = Endpoint<S, P, never> &
  (zod.output<S> extends ListBody ? unknown : never);
type ItemOf<S extends zod.ZodType> = zod.output<S> extends { data: Array<infer T> } ? T : never;

export type PageRequest<P extends string> = Omit<CallArgs<P>, 'query' | 'body'> & {
  /** The cursor: the previous page's `pagination.nextCursor`. */
  after?: string | null;
  /** 1–100; clamped into that range. */
  limit?: number;
  query?: Query;
};

export const clampLimit = (limit: number | undefined): number =>
  Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit ?? MAX_PAGE_SIZE)));

/** One page of a cursor-paginated list. */
export const fetchPage = async <S extends zod.ZodType, P extends string>(
  client: SotionClient,
  ep: ListEndpoint<S, P>,
  request: PageRequest<P>,
): Promise<Page<ItemOf<S>>> => {
  const { after, limit, query, ...rest } = request;
  const args = {
    ...rest,
    query: { ...query, limit: clampLimit(limit), after: after ?? undefined },
  } as CallArgs<P>;
  const { data, requestId } = await client.call(ep, args);
  const body = data as ListBody;
  return {
    items: body.data as ItemOf<S>[],
    hasMore: body.pagination.hasMore,
    nextCursor: body.pagination.nextCursor,
    requestId,
  };
};

/**
 * Every page of a list, in the order Sotion serves them. The consumer may stop early (break).
 * A cursor that repeats, or "more pages" without a cursor, is a broken contract: it stops with a
 * clear error instead of looping or quietly ending early.
 */
export async function* walkPages<S extends zod.ZodType, P extends string>(
  client: SotionClient,
  ep: ListEndpoint<S, P>,
  request: PageRequest<P>,
): AsyncGenerator<Page<ItemOf<S>>> {
  const seen = new Set<string>();
  let after = request.after ?? null;
  for (;;) {
    const page = await fetchPage(client, ep, { ...request, after });
    yield page;
    if (!page.hasMore) return;
    if (!page.nextCursor || seen.has(page.nextCursor)) {
      throw userError(
        client.z,
        `Sotion said more ${describe(ep, request.params ?? {}).target} follow but ${
          page.nextCursor ? `repeated the cursor ${page.nextCursor}` : 'gave no cursor'
        }, so the list cannot be read to the end. Please report this to Sotion support.` +
          requestIdSuffix(page.requestId),
        'bad_pagination',
        { requestId: page.requestId, transient: false },
      );
    }
    seen.add(page.nextCursor);
    after = page.nextCursor;
  }
}
