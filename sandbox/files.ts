/**
 * Files for end-to-end tests, under the control namespace (a path Sotion would never serve):
 *
 * - `POST /__sandbox/files?name=members.csv` with the file's bytes as the body stores it (201,
 *   `{ url }`); the Content-Type is kept.
 * - `POST /__sandbox/files/` as multipart/form-data, the way z.stashFile uploads to a presigned
 *   S3 POST (form fields, `key` among them, then `file`), stores it under `key` (204).
 * - `GET /__sandbox/files/<name>` serves it with Content-Type and Content-Length, or with
 *   `?chunked=1` without a Content-Length (as a streaming host does).
 *
 * Every request is recorded with its headers (`requests`), so a test can check what a download
 * carried, such as that no Authorization header reached the file's host.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export interface StoredFile {
  body: Buffer;
  contentType: string;
}

export interface FileRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface Files {
  stored: Map<string, StoredFile>;
  requests: FileRequest[];
  /** Answers a request under /__sandbox/files; false when the path is not one of them. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, origin: string): Promise<boolean>;
}

export const FILES_PATH = '/__sandbox/files';

const readRaw = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The parts of a multipart/form-data body (enough for form-data's and browsers' output). */
export const parseMultipart = (body: Buffer, contentType: string): Part[] => {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = Buffer.from(`--${boundary?.[1] ?? boundary?.[2] ?? ''}`);
  const parts: Part[] = [];
  let at = body.indexOf(marker);
  while (at >= 0) {
    const start = at + marker.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(marker, start);
    if (next < 0) break;
    // Each part: CRLF, headers, CRLF CRLF, data, CRLF, then the next marker.
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const name = /name="([^"]*)"/i.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    parts.push({ name, filename, contentType: type, data: part.subarray(split + 4) });
    at = next;
  }
  return parts;
};

export const createFiles = (): Files => {
  const stored = new Map<string, StoredFile>();
  const requests: FileRequest[] = [];
  const reply = (res: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  return {
    stored,
    requests,
    async handle(req, res, url, origin) {
      const path = url.pathname;
      if (path !== FILES_PATH && !path.startsWith(`${FILES_PATH}/`)) return false;
      const method = req.method ?? 'GET';
      requests.push({ method, path: path + url.search, headers: req.headers });
      const body = await readRaw(req);
      const name = decodeURIComponent(path.slice(FILES_PATH.length + 1));
      const type = req.headers['content-type'] ?? 'application/octet-stream';
      if (method === 'POST' && type.startsWith('multipart/form-data')) {
        const parts = parseMultipart(body, type);
        const key = parts.find((p) => p.name === 'key')?.data.toString('utf8');
        const file = parts.find((p) => p.name === 'file');
        if (!key || !file) {
          reply(res, 400, { error: 'A multipart upload needs a "key" field and a "file".' });
          return true;
        }
        const declared = parts.find((p) => p.name === 'Content-Type')?.data.toString('utf8');
        stored.set(key, {
          body: file.data,
          contentType: declared ?? file.contentType ?? 'application/octet-stream',
        });
        reply(res, 204);
        return true;
      }
      if (method === 'POST') {
        const as = url.searchParams.get('name') ?? name;
        if (!as) {
          reply(res, 400, { error: 'Name the file: POST /__sandbox/files?name=members.csv.' });
          return true;
        }
        stored.set(as, { body, contentType: type });
        reply(res, 201, { url: `${origin}${FILES_PATH}/${encodeURIComponent(as)}` });
        return true;
      }
      const file = stored.get(name);
      if (method !== 'GET' || !file) {
        reply(res, 404, { error: 'No such file.' });
        return true;
      }
      const headers: Record<string, string> = { 'content-type': file.contentType };
      if (url.searchParams.get('chunked') !== '1')
        headers['content-length'] = String(file.body.length);
      res.writeHead(200, headers);
      res.end(file.body);
      return true;
    },
  };
};
