/**
 * The set-up every test file runs (test/setup-env.ts): sockets reach loopback only. This file
 * imports the nock-free tester, as the end-to-end tests do, so nothing but that guard stands
 * between a request and the internet here.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { ZObject } from 'zapier-platform-core';
import { appTester, makeBundle, messageOf, rejection } from './tester';

const REFUSED = /tests reach loopback only: refused a connection to /;

const failure = async (socket: net.Socket): Promise<Error> => {
  const [error] = (await once(socket, 'error')) as [Error];
  return error;
};

describe('sockets in tests', () => {
  let server: Server;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(() => server.close());
  const port = () => (server.address() as AddressInfo).port;

  it('refuses a host that is not loopback, by options, by port and host, and by name', async () => {
    const byOptions = await failure(net.connect({ host: '192.0.2.1', port: 443 }));
    expect(byOptions.message).toBe(
      'tests reach loopback only: refused a connection to 192.0.2.1:443',
    );
    expect((byOptions as NodeJS.ErrnoException).code).toBe('E_TESTS_LOOPBACK_ONLY');
    const byArgs = await failure(net.connect(80, 'example.com'));
    expect(byArgs.message).toBe(
      'tests reach loopback only: refused a connection to example.com:80',
    );
    const socket = new net.Socket();
    socket.connect({ host: 'api.sotion.so', port: 443 });
    expect((await failure(socket)).message).toMatch(REFUSED);
  });

  it('lets loopback through, by address and by name', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const response = await fetch(`http://${host}:${port()}/`);
      expect(await response.text()).toBe('ok');
    }
    const socket = net.connect(port(), '127.0.0.1');
    await once(socket, 'connect');
    socket.destroy();
  });

  it("refuses fetch's and core's requests to the internet", async () => {
    const fetched = await rejection(fetch('https://api.sotion.so/api/v1/site'));
    expect(String((fetched as Error & { cause?: unknown }).cause)).toMatch(REFUSED);
    const request = (z: ZObject) => z.request({ url: 'https://api.sotion.so/api/v1/site' });
    const error = await rejection(appTester(request, makeBundle({})));
    expect(messageOf(error)).toMatch(REFUSED);
  });
});
