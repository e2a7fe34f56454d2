import { defineTrigger, type PollingTriggerPerform } from 'zapier-platform-core';
import { customGroupChoices } from '../src/api/access-groups';
import type { AccessGroup } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';

/** What z.cursor keeps between "Load more" pages: the next cursor and the ones followed. */
interface Kept {
  after: string;
  seen: string[];
}

/** The kept state; a plain cursor (as earlier versions stored it) is read as one. */
const readKept = (raw: string | null): Kept | undefined => {
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
 * Powers the dropdowns that pick custom access groups (scope groups cannot be written through
 * the API). "Load more" pages with Sotion's cursor, kept between pages by z.cursor together with
 * the cursors already followed, so a list whose cursors come round again stops with an error.
 */
export const perform = (async (z, bundle) => {
  const page = bundle.meta?.page ?? 0;
  let kept: Kept | undefined;
  if (page > 0) {
    kept = readKept(await z.cursor.get());
    // No cursor left: the previous page was the last one.
    if (!kept) return [];
  }
  const client = new SotionClient(z, bundle);
  const { groups, nextCursor, seen } = await customGroupChoices(
    client,
    kept?.after ?? null,
    kept?.seen,
  );
  // The most recent cursors are enough to catch a loop and keep the stored text small.
  await z.cursor.set(
    nextCursor ? JSON.stringify({ after: nextCursor, seen: seen.slice(-500) }) : '',
  );
  return groups;
}) satisfies PollingTriggerPerform<Record<string, never>, AccessGroup>;

export default defineTrigger({
  key: 'custom_access_group_choices',
  noun: 'Access Group',
  display: {
    label: 'Custom Access Groups',
    description: 'Lists custom access groups for dropdowns.',
    hidden: true,
  },
  operation: {
    type: 'polling',
    canPaginate: true,
    perform,
  },
});
