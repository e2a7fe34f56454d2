/**
 * `npm start`, the instant-trigger part: "Member Created" end to end against the sandbox, using
 * the built app (.tools/, which the CLI steps load too). `zapier-platform invoke` does not run hooks locally, so the built app's
 * performSubscribe / perform / performUnsubscribe run through createAppTester, with a loopback
 * receiver standing in for Zapier's hook endpoint and a bundle built as Zapier builds it.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppTester } from 'zapier-platform-core';
import type { Sandbox } from '../sandbox/server';
import { DEMO_KEY } from '../sandbox/store';
import { built, type Part } from './demo-parts';

type Item = Record<string, unknown>;
type Fn = (z: never, bundle: never) => Promise<unknown>;
interface HookOperation {
  performSubscribe: Fn;
  perform: Fn;
  performUnsubscribe: Fn;
}

/** Zapier hands a hook's headers Title-Cased with an `Http-` prefix. */
const zapierHeaders = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      `Http-${name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())}`,
      String(value),
    ]),
  );

export const demoInstantTrigger = async (sandbox: Sandbox, part: Part, n: number) => {
  const { log, check } = part;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const app = (require(built) as { default: object }).default;
  const op = (app as { triggers: Record<string, { operation: HookOperation }> }).triggers
    .member_created?.operation as HookOperation;
  const tester = createAppTester(app);
  /** Runs a built function; core's own chatter (memory stats) is dropped, the app's log kept. */
  const run = async <T>(fn: Fn, bundle: object): Promise<T> => {
    const print = console.log;
    const logged: string[] = [];
    console.log = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
    try {
      return (await tester(fn as never, bundle as never)) as T;
    } finally {
      console.log = print;
      for (const line of logged.filter((l) => l.trim() && !l.startsWith('ZID:')))
        log(`    log: ${line.trim()}`);
    }
  };

  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const targetUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/member_created`;
  process.env.SOTION_API_BASE_URL = sandbox.url;
  sandbox.settings.allowLoopbackHttpWebhooks = true;
  const site = sandbox.store.siteForKey(DEMO_KEY);
  const base = { authData: { apiKey: DEMO_KEY }, inputData: {}, meta: {}, targetUrl };

  log(`\n${n}. Member Created (instant trigger: REST hook, built app via createAppTester)`);
  log(`    in:  Zapier's hook URL stand-in ${targetUrl}`);
  try {
    const sub = await run<{ id: string; secret: string }>(op.performSubscribe, base);
    const held = site?.webhooks.find((w) => w.id === sub.id);
    log(
      `    subscribed: ${sub.id} "${held?.name}" (signing secret kept in subscribeData, not shown)`,
    );
    check(
      held?.events.join() === 'member.created' && held.managedBy === 'zapier',
      'the sandbox holds one Zapier subscription for member.created',
    );

    const started = Date.now();
    await fetch(`${sandbox.url}/members`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'instant.member@example.org', displayName: 'Instant Member' }),
    });
    for (let i = 0; i < 100 && received.length === 0; i += 1)
      await new Promise((r) => setTimeout(r, 20));
    const delivery = received[0];
    log(
      `    event: POST /members instant.member@example.org → delivery in ${Date.now() - started} ms ` +
        `(${delivery?.headers['x-webhook-signature']?.toString().slice(0, 20)}…)`,
    );
    const bundle = (body: string, headers: IncomingHttpHeaders) => ({
      ...base,
      subscribeData: sub,
      rawRequest: {
        method: 'POST',
        querystring: '',
        headers: zapierHeaders(headers),
        content: body,
      },
      cleanedRequest: JSON.parse(body) as unknown,
    });
    const body = delivery?.body ?? '{}';
    const headers = delivery?.headers ?? {};
    const items = await run<Item[]>(op.perform, bundle(body, headers));
    const item = items[0] ?? {};
    log(
      `    out: ${JSON.stringify({ id: item.id, eventType: item.eventType, memberId: item.memberId, email: item.email })}`,
    );
    check(
      items.length === 1 && item.email === 'instant.member@example.org',
      'the signed delivery verified: one Zap run with the member',
    );
    const again = await run<Item[]>(op.perform, bundle(body, headers));
    check(again.length === 0, 'the same event delivered again (a retry): no second run');
    const forgedSignature = `sha256=${createHmac('sha256', 'whsec_forged').update(body).digest('hex')}`;
    const forged = await run<Item[]>(
      op.perform,
      bundle(body.replace('instant.member', 'intruder'), {
        ...headers,
        'x-webhook-signature': forgedSignature,
      }),
    );
    check(forged.length === 0, 'a forged delivery (another secret, altered body): no run');

    await run(op.performUnsubscribe, { ...base, subscribeData: sub });
    check(site?.webhooks.length === 0, 'unsubscribed: the sandbox holds no subscription');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
};
