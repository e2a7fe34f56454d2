import type { ZObject } from 'zapier-platform-core';
import { errorInfo, plainMessage, requestIdSuffix, userError } from '../http/errors';

/** The errors that steps word alike. */

/** True for the pipeline's "Sotion could not find …" error. */
export const isNotFound = (error: unknown): boolean => errorInfo(error)?.status === 404;

export const unexpected = (z: ZObject, status: number, requestId: string | undefined): Error =>
  userError(
    z,
    `Sotion answered HTTP ${status}, which this step does not expect here. Replay the step; ` +
      `if it happens again, report it to the integration's maintainers.${requestIdSuffix(requestId)}`,
    'unexpected_response',
    { status, requestId },
  );

/** Wraps the failure of a step's second part, saying what the first part already did. */
export const afterDone = (z: ZObject, done: string, error: unknown): Error => {
  const info = errorInfo(error);
  return userError(z, `${done} ${plainMessage(error)}`, 'partly_done', {
    status: info?.status,
    requestId: info?.requestId,
  });
};
