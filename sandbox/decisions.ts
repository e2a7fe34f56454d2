/**
 * Every behaviour the Sotion API v1 reference (../shared/reference/sotion-api-v1.md) leaves
 * undocumented, decided once, with the reason. Where a client must not depend on the choice, the
 * sandbox can be switched between the plausible behaviours (`Behaviour`), and the end-to-end
 * suite runs against each.
 */

export interface Behaviour {
  /** §1.6/§5.8: order of GET /access-groups is not documented. */
  groupOrder: 'newest' | 'oldest' | 'name';
  /** §1.7/§5.7: whether 429 carries Retry-After is not documented. */
  throttle: 'retry-after' | 'reset-only';
  /** §1.8/§5.2: only `{"error": "<string>"}` is documented (for a missing key). */
  errorShape: 'string' | 'object';
  /** §5.4: 201 is implied by Location but not shown. */
  createStatus: 201 | 200;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  // Oldest first (insertion order) is what a cursor of "id of the last item" most naturally gives.
  groupOrder: 'oldest',
  // Retry-After is common practice; the reset-only variant tests the X-RateLimit-Reset path.
  throttle: 'retry-after',
  errorShape: 'string',
  createStatus: 201,
};

export const DECISIONS = {
  /** §5.1: every endpoint page uses /api/v1; the Authentication page's /v1 is treated as a typo. */
  basePath: '/api/v1',
  /** §5.3: 401 for a missing, malformed, unknown or revoked key; the documented body for missing. */
  authFailureStatus: 401,
  missingKeyMessage: 'Missing API key. Pass Authorization: Bearer so_...',
  invalidKeyMessage: 'Invalid API key.',
  /** §5.5: validation failures are 400 (the legacy API used 400 for bad input). */
  validationStatus: 400,
  /** §1.6: limit outside 1–100 is rejected, not clamped: a silent clamp would hide client bugs. */
  rejectBadLimit: true,
  /** §1.6/§5.8: the cursor is the id of the last item of the page; an unknown cursor is a 400. */
  cursor: 'last-id',
  /** §5.6: unknown ids are 404 on every GET/PATCH/DELETE, like the documented webhook delete. */
  unknownIdStatus: 404,
  /** §2.2/§5.12: group names are unique case-insensitively after trimming; PATCH conflicts are 409. */
  groupNameUnique: 'case-insensitive',
  /** §5.18: the dashboard's built-in groups ("All Members", "Individual Member") are not listed. */
  listBuiltInGroups: false,
  /** §5.13: POST /members with an unknown group id: 404, nothing created (atomic). */
  createMemberUnknownGroup: 404,
  /** §5.14: bulk `accessGroupIds` at the top level; a scope id fails the whole request with 403,
   * an unknown id with 404; a repeated email inside one batch gives `conflict` for the repeat;
   * `conflict` items carry `error: {code: "conflict"}`; summary.failed = total − created. */
  bulk: { maxMembers: 500, duplicateInBatch: 'conflict', failedCountsConflicts: true },
  /** §5.15: removing a member who is not in the group is 404 (not an idempotent 204). */
  removeNotInGroupStatus: 404,
  /** §5.16: login links answer 201; blocked members get 403; redirectPath is accepted and ignored. */
  loginLinkStatus: 201,
  loginLinkLimits: { perMemberPerMinute: 5, perSitePerMinute: 50 },
  /** §5.17: the 11th active webhook is refused with 422; URLs must be https (422 otherwise);
   * names default to "<managedBy or dashboard>: <events>"; a caller cannot supply a secret;
   * deliveries are retried 3 times (after 1 s, 2 s, 4 s; shortened in tests) and never
   * auto-disabled; headers X-Webhook-Signature, X-Webhook-Event, X-Webhook-Delivery, X-Webhook-Id. */
  webhooks: { maxActive: 10, limitStatus: 422, retries: 3 },
  /** §1.7/§5.7: a fixed window per key (the docs say neither per key nor per site). */
  rateLimit: { windowSeconds: 60, limit: 600 },
  /** §5.20: no idempotency keys; duplicates are stopped only by the documented 409s. */
  idempotencyKeys: false,
} as const;
