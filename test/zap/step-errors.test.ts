import type { ZObject } from 'zapier-platform-core';
import { errorInfo, withInfo } from '../../src/http/errors';
import { afterDone, isNotFound, unexpected } from '../../src/zap/step-errors';
import { appTester, makeBundle } from '../helpers';

/** Runs `make` with a real z (its errors are core's) and hands back what it made. */
const withZ = <T>(make: (z: ZObject) => T): Promise<T> =>
  appTester(async (z: ZObject) => make(z), makeBundle({}));

describe('isNotFound', () => {
  it("is true only for the pipeline's 404", () => {
    expect(isNotFound(withInfo(new Error('x'), { status: 404 }))).toBe(true);
    expect(isNotFound(withInfo(new Error('x'), { status: 410 }))).toBe(false);
    expect(isNotFound(withInfo(new Error('x'), {}))).toBe(false);
    // A 404 the pipeline did not raise (no error info) is not Sotion's "not found".
    expect(isNotFound(Object.assign(new Error('x'), { status: 404 }))).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });
});

describe('unexpected', () => {
  it('names the status and the request id, and keeps both in the error info', async () => {
    const error = await withZ((z) => unexpected(z, 418, 'req-9'));
    expect(JSON.parse(error.message)).toEqual({
      message:
        "Sotion answered HTTP 418, which this step does not expect here. Replay the step; if it happens again, report it to the integration's maintainers. (X-Request-Id: req-9)",
      code: 'unexpected_response',
      status: 418,
    });
    expect(errorInfo(error)).toEqual({ status: 418, requestId: 'req-9' });
  });

  it('without a request id names none', async () => {
    const error = await withZ((z) => unexpected(z, 302, undefined));
    expect(JSON.parse(error.message).message).toMatch(/maintainers\.$/);
  });
});

describe('afterDone', () => {
  it("says what the first part did, then the second part's failure, keeping its status and id", async () => {
    const cause = await withZ((z) =>
      withInfo(new z.errors.Error('Sotion could not find member m1.', 'not_found', 404), {
        status: 404,
        requestId: 'req-2',
        apiMessage: 'No such member',
      }),
    );
    const error = await withZ((z) => afterDone(z, 'The member was created.', cause));
    expect(JSON.parse(error.message)).toEqual({
      message: 'The member was created. Sotion could not find member m1.',
      code: 'partly_done',
      status: 404,
    });
    expect(errorInfo(error)).toEqual({ status: 404, requestId: 'req-2' });
  });

  it('wraps an error the pipeline did not raise with its plain message and no status', async () => {
    const error = await withZ((z) => afterDone(z, 'Done.', new Error('socket closed')));
    expect(JSON.parse(error.message)).toEqual({
      message: 'Done. socket closed',
      code: 'partly_done',
      status: 0,
    });
    expect(errorInfo(error)).toEqual({ status: undefined, requestId: undefined });
  });
});
