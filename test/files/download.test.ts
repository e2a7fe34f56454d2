import nock from 'nock';
import type { ZObject } from 'zapier-platform-core';
import {
  DOWNLOAD_RESERVE_MS,
  downloadFile,
  fileUrl,
  formatBytes,
  type DownloadOptions,
} from '../../src/files/download';
import { Deadline } from '../../src/http/deadline';
import { appTester, KEY, makeBundle, messageOf, rejection } from '../helpers';

const HOST = 'https://files.example.com';
/** The CSV File's cap (src/files/csv-in.ts): 10 MB. */
const MAX_BYTES = 10 * 1024 * 1024;

/** Downloads `url` as the CSV File within a run whose deadline has `leftMs` left. */
const download = (url: string, leftMs = 25_000, options: Partial<DownloadOptions> = {}) =>
  appTester(
    async (z: ZObject) =>
      downloadFile(z, url, {
        label: 'CSV File',
        deadline: new Deadline(leftMs),
        maxBytes: MAX_BYTES,
        ...options,
      }),
    makeBundle({}),
  );

describe('formatBytes', () => {
  it('says a size in MB as people read it, with the bytes', () => {
    expect(formatBytes(MAX_BYTES)).toBe('10 MB (10,485,760 bytes)');
    expect(formatBytes(12_900_000)).toBe('12.3 MB (12,900,000 bytes)');
    expect(formatBytes(0)).toBe('0 MB (0 bytes)');
  });
});

describe('fileUrl', () => {
  const check = (value: string) =>
    appTester(async (z: ZObject) => fileUrl(z, 'CSV File', value), makeBundle({}));

  it('takes an http or https link as given', async () => {
    expect(await check('http://files.example.com/m.csv?x=1')).toBe(
      'http://files.example.com/m.csv?x=1',
    );
    expect(await check(`${HOST}/m.csv`)).toBe(`${HOST}/m.csv`);
  });

  it('refuses what is not a link, another scheme, or the Sotion API, as input errors', async () => {
    const refused = async (value: string) => {
      const error = await rejection(check(value));
      expect(JSON.parse(error.message).code).toBe('invalid_input');
      return messageOf(error);
    };
    expect(await refused('members.csv')).toMatch(/^CSV File must be a file \(map the file/);
    expect(await refused('file:///tmp/m.csv')).toBe(
      'CSV File must be an http(s) link to a file; "file:///tmp/m.csv" is a file: link.',
    );
    expect(await refused('https://api.sotion.so/api/v1/members?limit=1')).toMatch(
      /^CSV File points at the Sotion API \(https:\/\/api\.sotion\.so\/api\/v1\/members\?limit=1\)/,
    );
  });
});

describe('downloadFile', () => {
  it('asks for CSV or text, and hands back the bytes and the Content-Type', async () => {
    nock(HOST)
      .matchHeader('accept', 'text/csv, text/plain;q=0.9, */*;q=0.5')
      .get('/m.csv')
      .reply(200, 'Email\n');
    expect(await download(`${HOST}/m.csv`)).toEqual({
      data: Buffer.from('Email\n'),
      contentType: undefined,
    });
  });

  it('a body of exactly the cap is read whole; a declared length over it is refused unread', async () => {
    nock(HOST).get('/exact.csv').reply(200, 'x'.repeat(16));
    expect((await download(`${HOST}/exact.csv`, 25_000, { maxBytes: 16 })).data).toHaveLength(16);
    nock(HOST).get('/over.csv').reply(200, 'x'.repeat(17), { 'content-length': '17' });
    expect(
      messageOf(await rejection(download(`${HOST}/over.csv`, 25_000, { maxBytes: 16 }))),
    ).toMatch(/^CSV File is 0\.0 MB \(17 bytes\); a step reads at most 0\.0 MB \(16 bytes\)\./);
  });

  it(`keeps ${DOWNLOAD_RESERVE_MS / 1000} s back for the requests that follow, unless told otherwise`, async () => {
    // 5.9 s left: 0.9 s for the download, under the 1 s a download needs.
    expect(messageOf(await rejection(download(`${HOST}/late.csv`, 5_900)))).toMatch(
      /^The step ran out of time/,
    );
    nock(HOST).get('/m.csv').reply(200, 'Email\n');
    expect((await download(`${HOST}/m.csv`, 2_000, { reserveMs: 500 })).data).toEqual(
      Buffer.from('Email\n'),
    );
  });
});

describe('downloadFile: moved from test/files/csv-in.test.ts', () => {
  it('never sends the API key (or any Authorization) to the file host', async () => {
    nock(HOST, { badheaders: ['authorization'] })
      .get('/members.csv')
      .reply(200, 'Email\nada@example.com\n', { 'content-type': 'text/csv' });
    const seen: string[] = [];
    nock.emitter.on('no match', (req: { headers?: Record<string, string> }) =>
      seen.push(JSON.stringify(req.headers ?? {})),
    );
    const read = await download(`${HOST}/members.csv`);
    expect(read).toEqual({
      data: Buffer.from('Email\nada@example.com\n'),
      contentType: 'text/csv',
    });
    expect(seen.join()).not.toContain(KEY);
    nock.emitter.removeAllListeners('no match');
  });

  it('refuses a file whose Content-Length is over 10 MB before reading it', async () => {
    nock(HOST)
      .get('/big.csv')
      .reply(200, 'Email\n', { 'content-length': String(12_900_000) });
    expect(messageOf(await rejection(download(`${HOST}/big.csv`)))).toBe(
      'CSV File is 12.3 MB (12,900,000 bytes); a step reads at most 10 MB (10,485,760 bytes). Nothing was sent to Sotion. Split the file into smaller ones and run the step for each.',
    );
  });

  it('stops reading a body without a length past 10 MB', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    // (nock reads the whole body before answering: what is counted here is the client's reading.)
    const { Readable } = await import('node:stream');
    const body = new Readable({
      read() {
        sent += 1;
        this.push(sent <= 12 ? chunk : null);
      },
    });
    nock(HOST)
      .get('/stream.csv')
      .reply(200, () => body);
    const message = messageOf(await rejection(download(`${HOST}/stream.csv`)));
    expect(message).toMatch(
      /^CSV File is larger than that \(the download was stopped at [\d,]+ bytes\); a step reads at most 10 MB \(10,485,760 bytes\)\. Nothing was sent to Sotion\./,
    );
    // Stopped within a chunk of the cap, not at the end of the 12 MB body.
    const stoppedAt = Number(/stopped at ([\d,]+) bytes/.exec(message)?.[1]?.replace(/,/g, ''));
    expect(stoppedAt).toBeGreaterThan(MAX_BYTES);
    expect(stoppedAt).toBeLessThanOrEqual(MAX_BYTES + chunk.length);
  });

  it("reports the file host's status in its own words, not as Sotion's", async () => {
    nock(HOST).get('/gone.csv').reply(404, 'Not Found');
    expect(messageOf(await rejection(download(`${HOST}/gone.csv`)))).toBe(
      'CSV File could not be downloaded: its host answered HTTP 404; there is no file at that link: map the file again from the earlier step. Nothing was sent to Sotion.',
    );
    nock(HOST).get('/expired.csv').reply(403, 'AccessDenied');
    expect(messageOf(await rejection(download(`${HOST}/expired.csv`)))).toMatch(
      /answered HTTP 403; the link may have expired/,
    );
    nock(HOST).get('/page.csv').reply(400, '<html>');
    expect(messageOf(await rejection(download(`${HOST}/page.csv`)))).toMatch(
      /answered HTTP 400; check that the field holds a link to the file itself\./,
    );
    // A host that sends the headers and part of the file, then drops the connection.
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('Email\n');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    nock.enableNetConnect('127.0.0.1');
    const { port } = server.address() as { port: number };
    try {
      expect(messageOf(await rejection(download(`http://127.0.0.1:${port}/broken.csv`)))).toMatch(
        /^CSV File could not be downloaded \(.+\)\. Nothing was sent to Sotion\. Replay the step/,
      );
    } finally {
      nock.disableNetConnect();
      await new Promise((resolve) => server.close(resolve));
    }
    nock(HOST).get('/busy.csv').reply(503, 'busy');
    expect(messageOf(await rejection(download(`${HOST}/busy.csv`)))).toMatch(
      /answered HTTP 503; this is usually temporary: replay the step later\./,
    );
    nock(HOST)
      .get('/down.csv')
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(messageOf(await rejection(download(`${HOST}/down.csv`)))).toMatch(
      /^CSV File could not be downloaded \(.*socket hang up.*\)\. Nothing was sent to Sotion\. Replay the step/,
    );
  });

  it("counts against the run's deadline: no time left, no download; a slow host is cut off", async () => {
    expect(messageOf(await rejection(download(`${HOST}/late.csv`, 5_500)))).toBe(
      'The step ran out of time (Zapier allows 30 seconds) before CSV File could be downloaded. Nothing was sent to Sotion. Replay the step.',
    );
    nock(HOST).get('/slow.csv').delay(1_500).reply(200, 'Email\n');
    expect(messageOf(await rejection(download(`${HOST}/slow.csv`, 6_200)))).toBe(
      "CSV File's host did not answer within the 1 seconds this step had left. Nothing was sent to Sotion. Replay the step later.",
    );
    const { Readable } = await import('node:stream');
    // One chunk, then nothing: the host stalls mid-file.
    const stalled = new Readable({ read() {} });
    stalled.push('Email\n');
    nock(HOST)
      .get('/trickle.csv')
      .reply(200, () => stalled);
    expect(messageOf(await rejection(download(`${HOST}/trickle.csv`, 6_200)))).toMatch(
      /^CSV File did not finish downloading within the 1 seconds this step had left \(6 bytes arrived\)\./,
    );
  });
});
