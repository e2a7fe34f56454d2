import nock from 'nock';
import { parseMultipart } from '../sandbox/files';

/**
 * z.stashFile at core's boundary: core asks Zapier's RPC (`https://rpc.zapier.com/cli`, method
 * `get_presigned_upload_post_data`) for a presigned S3 POST, then posts the file there as
 * multipart/form-data and returns `new URL(fields.key, url)`. This stands in for the RPC answer;
 * the upload goes to `uploadUrl`: a nock scope (unit tests, which read what arrived from
 * `uploads`) or the sandbox's /__sandbox/files/ over real HTTP (end-to-end tests).
 */

export interface Upload {
  key: string;
  filename: string | undefined;
  contentType: string | undefined;
  content: Buffer;
}

export const STASH_UPLOAD = 'https://zapier-stash.test/uploads/';

interface RpcBody {
  id: string;
  method: string;
  params: unknown[];
}

const rpcBody = (body: unknown): RpcBody =>
  (typeof body === 'string' ? JSON.parse(body) : body) as RpcBody;

/**
 * Answers `times` presigned-upload requests. With the default upload URL, also accepts the
 * uploads and records them; `uploadStatus` other than 204 makes S3 refuse them.
 */
export const mockStash = (
  options: { times?: number; uploadUrl?: string; keyPrefix?: string; uploadStatus?: number } = {},
) => {
  process.env.ZAPIER_DEPLOY_KEY = 'unit-test';
  const times = options.times ?? 1;
  const uploadUrl = options.uploadUrl ?? STASH_UPLOAD;
  const uploads: Upload[] = [];
  let n = 0;
  nock('https://rpc.zapier.com')
    .post('/cli', (body) => rpcBody(body).method === 'get_presigned_upload_post_data')
    .times(times)
    .reply(200, (_uri, body) => {
      n += 1;
      return {
        id: rpcBody(body).id,
        result: {
          url: uploadUrl,
          fields: {
            key: `${options.keyPrefix ?? 'stash'}-${n}.csv`,
            AWSAccessKeyId: 'AKIATEST',
            policy: 'e30=',
            signature: 'sig',
          },
        },
      };
    });
  if (uploadUrl === STASH_UPLOAD) {
    const url = new URL(STASH_UPLOAD);
    nock(url.origin)
      .post(url.pathname)
      .times(times)
      .reply(function (_uri, body) {
        const raw = Buffer.isBuffer(body)
          ? body
          : /^[0-9a-f]+$/i.test(String(body))
            ? Buffer.from(String(body), 'hex')
            : Buffer.from(String(body), 'utf8');
        const parts = parseMultipart(raw, String(this.req.headers['content-type']));
        const file = parts.find((p) => p.name === 'file');
        uploads.push({
          key: parts.find((p) => p.name === 'key')?.data.toString('utf8') ?? '',
          filename: file?.filename,
          contentType: parts.find((p) => p.name === 'Content-Type')?.data.toString('utf8'),
          content: file?.data ?? Buffer.alloc(0),
        });
        return [options.uploadStatus ?? 204, ''];
      });
  }
  return uploads;
};

/** The RPC refusing: core retries a 5xx twice, then gives up. */
export const failStashRpc = () => {
  process.env.ZAPIER_DEPLOY_KEY = 'unit-test';
  nock('https://rpc.zapier.com').post('/cli').times(3).reply(503, 'unavailable');
};
