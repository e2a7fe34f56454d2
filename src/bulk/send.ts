import { normalizeEmail } from '../api/emails';
import { members } from '../api/members';
import { errorInfo } from '../http/errors';
import { runPool } from './pool';
import type { BulkRun, Item } from './state';

/** Sotion's documented maximum per POST /members/bulk. */
export const BULK_BATCH_SIZE = 500;
/** Bulk requests in flight at once. */
export const BULK_CONCURRENCY = 4;

export const chunk = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * The status of a whole batch refused for what is in it (400, 413, 422, or a 5xx on every try),
 * rather than for who sends it: split such a batch to find who. Undefined for other errors.
 */
export const rejectionStatus = (error: unknown): number | undefined => {
  const status = errorInfo(error)?.status;
  if (status === undefined) return undefined;
  return status === 400 || status === 413 || status === 422 || status >= 500 ? status : undefined;
};

/** Sotion's reason in the user's terms: `members[137]` is this member, already named. */
export const refusalReason = (error: unknown, status: number): string => {
  const info = errorInfo(error);
  const said = (info?.apiMessage ?? '')
    .replace(/\s*\bat\s+members\[\d+\](?:\.\w+)*/gi, '')
    .replace(/\bmembers\[\d+\](?:\.\w+)*/gi, 'this member')
    .trim()
    .replace(/\.+$/, '');
  const request = info?.requestId ? `, X-Request-Id: ${info.requestId}` : '';
  return (
    `Sotion refused this member (HTTP ${status}${request})` +
    (said ? `: ${said}.` : '.') +
    ' The other members of its batch were sent without it.'
  );
};

/** Items never sent, because time ran out or the run stopped: failed, and counted as not sent. */
export const markNotSent = <Own extends string>(run: BulkRun<Own>, items: Array<Item<Own>>) => {
  for (const { result } of items) {
    result.status = 'failed';
    result.reason = run.stopped()
      ? 'Not sent: the step stopped after an error (see the step error).'
      : 'Not sent: the step ran out of the time Zapier allows. Replay the step to add the rest.';
    run.report.notSent += 1;
    run.leftOver.add(result.email);
  }
};

/**
 * Creates members with POST /members/bulk (each entry's email, display name and Paid; every
 * new member into `accessGroupIds`): batches of 500, at most 4 in flight, none started once the
 * run stopped or a batch as slow as the slowest so far would not finish in time. When Sotion
 * rejects a batch whole (400, 413, 422, or a 5xx on every try), it is split in two and each half
 * sent again, down to the members Sotion refuses on their own: about log2(500) extra requests
 * per refused member, and nobody else lost. Marks each item `created` or `failed` (or not sent);
 * returns the items Sotion said already exist, in the order their batches were answered, for
 * the next phases.
 */
export const sendInBulk = async <Own extends string>(
  run: BulkRun<Own | 'created'>,
  items: Array<Item<Own | 'created'>>,
  accessGroupIds: string[],
): Promise<Array<Item<Own | 'created'>>> => {
  type Batch = Array<Item<Own | 'created'>>;
  const existing: Batch = [];
  const sendBatch = async (batch: Batch): Promise<void> => {
    if (run.stopped()) return markNotSent(run, batch);
    if (run.noTimeForBatch()) return markNotSent(run, batch);
    const started = Date.now();
    try {
      const body: Record<string, unknown> = {
        members: batch.map(({ entry, result }) => ({
          email: result.email,
          displayName: entry.displayName, // JSON leaves out an undefined name or Paid
          paid: entry.paid,
        })),
      };
      if (accessGroupIds.length) body.accessGroupIds = accessGroupIds;
      const { data } = await run.client.call(members.bulkCreate, { body });
      const byEmail = new Map<string, (typeof data.data)[number]>();
      for (const item of data.data) {
        const key = normalizeEmail(item.email);
        if (!byEmail.has(key)) byEmail.set(key, item);
      }
      for (const pending of batch) {
        const { result } = pending;
        const item = byEmail.get(result.email);
        if (!item) {
          result.status = 'failed';
          result.reason = "Sotion's answer to the bulk request did not mention this email.";
        } else if (item.status === 'created') {
          result.status = 'created';
          result.memberId = item.member?.id ?? null;
        } else if (item.status === 'conflict') {
          run.factsOf(result.email);
          existing.push(pending);
        } else {
          result.status = 'failed';
          result.reason = `Sotion could not create this member: ${
            [item.error?.code, item.error?.message].filter(Boolean).join(': ') || 'no reason given'
          }.`;
        }
      }
    } catch (error) {
      const status = rejectionStatus(error);
      if (status === undefined) return run.fail(batch, error);
      // A member alone failing with a 5xx on every try is Sotion's problem, not a refusal.
      if (batch.length === 1 && status >= 500) return run.fail(batch, error);
      if (batch.length === 1) {
        const { result } = batch[0] as Item<Own | 'created'>;
        result.status = 'failed';
        result.reason = refusalReason(error, status);
        run.report.isolated += 1;
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await sendBatch(batch.slice(0, half));
      await sendBatch(batch.slice(half));
    } finally {
      run.slowestMs = Math.max(run.slowestMs, Date.now() - started);
    }
  };
  await runPool(
    chunk(items, BULK_BATCH_SIZE),
    BULK_CONCURRENCY,
    sendBatch,
    () => run.stopped(),
    (batch) => markNotSent(run, batch),
  );
  return existing;
};
