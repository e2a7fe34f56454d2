import type { z as zod } from 'zod';
import type { CallArgs, Query, SotionClient } from './client';
import { wordRequest, type Endpoint } from './endpoint';
import { requestIdSuffix, userError } from './errors';

/** One page of a list read a page at a time (a dropdown with "Load more"). */
export interface DropdownPage<T> {
  items: T[];
  nextCursor: string | null;
  /** Cursors followed while reading this page (a read may skip pages with nothing to show). */
  followed?: string[];
  requestId?: string;
}

/** Sotion's documented page size range for every list endpoint. */
export const MAX_PAGE_SIZE = 100;
/**
 * Empty pages in a row that still say "more follow": past this, the list is taken to be looping
 * (a hostile or broken API once made one poll send ~15,000 requests in 23 seconds).
 */
export const MAX_EMPTY_PAGES = 5;
/** Pages one walk reads at most (100,000 items at 100 a page): a bound whatever the API says. */
export const MAX_PAGES_PER_WALK = 1_000;

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
  /** Cursors already followed before this walk (a dropdown's earlier "Load more" pages). */
  seenCursors?: Iterable<string>;
};

export const clampLimit = (limit: number | undefined): number =>
  Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit ?? MAX_PAGE_SIZE)));

/** One page of a cursor-paginated list. */
export const fetchPage = async <S extends zod.ZodType, P extends string>(
  client: SotionClient,
  ep: ListEndpoint<S, P>,
  request: PageRequest<P>,
): Promise<Page<ItemOf<S>>> => {
  const { after, limit, query, seenCursors: _seen, ...rest } = request;
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

/** The error for a list that cannot be read to the end; `why` finishes "Sotion said more … follow but". */
export const brokenList = (
  client: SotionClient,
  target: string,
  why: string,
  requestId: string | undefined,
): Error =>
  userError(
    client.z,
    `Sotion said more ${target} follow but ${why}, so the ` +
      'list cannot be read to the end. Please report this to Sotion support.' +
      requestIdSuffix(requestId),
    'bad_pagination',
    { requestId },
  );

/**
 * Every page of a list, in the order Sotion serves them. The consumer may stop early (break).
 * A broken cursor contract stops with a clear error instead of looping or quietly ending early:
 * a cursor that repeats (this walk's or one in `seenCursors`), "more pages" without a cursor,
 * more than MAX_EMPTY_PAGES empty pages in a row, or more than MAX_PAGES_PER_WALK pages.
 */
export async function* walkPages<S extends zod.ZodType, P extends string>(
  client: SotionClient,
  ep: ListEndpoint<S, P>,
  request: PageRequest<P>,
): AsyncGenerator<Page<ItemOf<S>>> {
  const seen = new Set<string>(request.seenCursors ?? []);
  let after = request.after ?? null;
  if (after) seen.add(after);
  let emptyInARow = 0;
  for (let pages = 1; ; pages += 1) {
    const page = await fetchPage(client, ep, { ...request, after });
    yield page;
    if (!page.hasMore) return;
    emptyInARow = page.items.length ? 0 : emptyInARow + 1;
    const why = !page.nextCursor
      ? 'gave no cursor'
      : seen.has(page.nextCursor)
        ? `repeated the cursor ${page.nextCursor}`
        : emptyInARow >= MAX_EMPTY_PAGES
          ? `sent ${emptyInARow} empty pages in a row, each with a new cursor`
          : pages >= MAX_PAGES_PER_WALK
            ? `${pages.toLocaleString('en-US')} pages were read already (the most one step reads)`
            : undefined;
    if (why !== undefined)
      throw brokenList(client, wordRequest(ep, request.params ?? {}).target, why, page.requestId);
    seen.add(page.nextCursor as string);
    after = page.nextCursor;
  }
}
