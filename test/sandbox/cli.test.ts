/** The sandbox's flags and environment variables, parsed by the pure function the CLI uses. */
import { BEHAVIOUR_CHOICES } from '../../sandbox/decisions';
import { checkConfig, OPTIONS, parseCli, usage } from '../../sandbox/options';

const ok = (argv: string[], env: Record<string, string> = {}) => {
  const result = parseCli(argv, env);
  if (!result.ok) throw new Error(result.error);
  return result.config;
};
const error = (argv: string[], env: Record<string, string> = {}) => {
  const result = parseCli(argv, env);
  if (result.ok) throw new Error('expected an error');
  return result.error;
};

describe('sandbox command line', () => {
  it('defaults: port 4010 on 127.0.0.1, nothing else set', () => {
    expect(ok([])).toEqual({
      help: false,
      process: { port: 4010, host: '127.0.0.1', empty: false },
      behaviour: {},
      faults: {},
      settings: {},
    });
  });

  it('--help and -h', () => {
    expect(ok(['--help']).help).toBe(true);
    expect(ok(['--port', '1', '-h']).help).toBe(true);
  });

  it('every flag and its environment variable are in the usage', () => {
    const text = usage();
    for (const o of OPTIONS) {
      expect(text).toContain(`--${o.flag}`);
      expect(text).toContain(o.env);
    }
  });

  it('typed values from flags, --flag=value and the environment; flags win', () => {
    const config = ok(
      [
        '--port=0',
        '--latency',
        '50',
        '--group-order',
        'name',
        '--create-status',
        '200',
        '--remove-not-in-group',
        '204',
        '--login-link-status=200',
        '--group-created-at',
        'null',
        '--membership-payload',
        'ids',
        '--rate-window',
        '500ms',
        '--allow-loopback-http-webhooks',
        '--empty-pages-loop',
        '3',
        '--reject-emails',
        'bad, @evil.example',
        '--webhook-retry-delays',
        '10,20',
      ],
      { SANDBOX_LATENCY_MS: '9', SANDBOX_FAIL_RATE: '0.5', SANDBOX_EMPTY: 'true' },
    );
    expect(config.process).toEqual({
      port: 0,
      host: '127.0.0.1',
      empty: true,
      webhookRetryDelaysMs: [10, 20],
    });
    expect(config.behaviour).toEqual({
      groupOrder: 'name',
      createStatus: 200,
      removeNotInGroup: 204,
      loginLinkStatus: 200,
      groupCreatedAt: 'null',
      membershipPayload: 'ids',
    });
    expect(config.faults).toEqual({
      latencyMs: 50,
      failRate: 0.5,
      emptyPagesLoop: 3,
      rejectEmails: ['bad', '@evil.example'],
    });
    expect(config.settings).toEqual({ rateWindowSeconds: 0.5, allowLoopbackHttpWebhooks: true });
  });

  it('windows in seconds, fractions or ms; a regex for rejected emails; a loop for ever', () => {
    expect(ok(['--rate-window', '2']).settings.rateWindowSeconds).toBe(2);
    expect(ok(['--rate-window', '0.25']).settings.rateWindowSeconds).toBe(0.25);
    expect(ok(['--rate-window', '60s']).settings.rateWindowSeconds).toBe(60);
    expect(ok(['--reject-emails', '/^bad\\d+@/']).faults.rejectEmails).toBe('^bad\\d+@');
    expect(ok(['--empty-pages-loop', 'true']).faults.emptyPagesLoop).toBe(true);
    expect(ok(['--allow-loopback-http-webhooks=false']).settings.allowLoopbackHttpWebhooks).toBe(
      false,
    );
  });

  it('one line naming the flag and the allowed values', () => {
    const flags = [...OPTIONS.map((o) => `--${o.flag}`), '--help'].join(', ');
    expect(error(['--latecny', '5'])).toBe(
      `unknown flag --latecny; the flags are ${flags} (--help explains each)`,
    );
    expect(error(['--latecny=5'])).toBe(error(['--latecny', '5']));
    expect(error(['-x'])).toBe(`unknown flag -x; the flags are ${flags} (--help explains each)`);
    expect(error(['--no-port'])).toMatch(/^unknown flag --no-port; the flags are --port, /);
    expect(error(['--group-order', 'foo'])).toBe(
      `--group-order must be one of ${BEHAVIOUR_CHOICES.groupOrder.join(', ')} (got "foo")`,
    );
    expect(error(['--latency', 'abc'])).toBe('--latency must be milliseconds ≥ 0 (got "abc")');
    expect(error(['--fail-rate', '1.5'])).toMatch(/^--fail-rate must be a share from 0 to 1/);
    expect(error(['--rate-window', '0'])).toMatch(/^--rate-window must be seconds > 0/);
    expect(error(['--reject-emails', '/(/'])).toMatch(/^--reject-emails must be/);
    expect(error(['--port'])).toBe('--port needs a value: a port from 0 to 65535');
    expect(error(['--port', '--latency', '5'])).toBe(
      '--port needs a value: a port from 0 to 65535 (a value starting with "-" goes as --port=VALUE)',
    );
    expect(error(['4010'])).toBe(
      'unexpected argument "4010"; every value follows its flag (run with --help for all flags)',
    );
    expect(error(['--help=yes'])).toBe('--help takes no value');
    expect(error(['--empty=maybe'])).toBe('--empty must be true or false (got "maybe")');
    expect(error(['--port='])).toBe('--port must be a port from 0 to 65535 (got "")');
    expect(error([], { SANDBOX_GROUP_ORDER: 'random' })).toMatch(
      /^SANDBOX_GROUP_ORDER must be one of newest, oldest, name/,
    );
  });

  it('booleans: bare, --no-flag or =value; the last of a repeated flag wins; values after =', () => {
    expect(ok(['--empty']).process.empty).toBe(true);
    expect(ok(['--no-empty'], { SANDBOX_EMPTY: 'true' }).process.empty).toBe(false);
    expect(ok(['--empty=off'], { SANDBOX_EMPTY: 'yes' }).process.empty).toBe(false);
    expect(ok(['--empty=1']).process.empty).toBe(true);
    expect(ok(['--port', '1', '--port=2']).process.port).toBe(2);
    expect(ok(['--seed=-5']).faults.seed).toBe(-5);
    expect(ok(['--host=a=b']).process.host).toBe('a=b');
  });

  it('--api-prefix: the path the API is served under (only there)', () => {
    expect(ok(['--api-prefix', '/v1']).process.apiPrefix).toBe('/v1');
    expect(ok([], { SANDBOX_API_PREFIX: '/api/v1' }).process.apiPrefix).toBe('/api/v1');
    expect(error(['--api-prefix', 'v1'])).toBe(
      '--api-prefix must be a path such as /api/v1 or /v1 (got "v1")',
    );
    expect(error(['--api-prefix=/v1/'])).toMatch(/^--api-prefix must be a path/);
    // A process option: POST /__sandbox/config cannot move the API while it runs.
    expect(checkConfig({ apiPrefix: '/v1' })).toBe('unknown option apiPrefix');
  });

  it('POST /__sandbox/config is checked with the same rules', () => {
    expect(checkConfig({ behaviour: { removeNotInGroup: 204 }, rateWindowSeconds: 0.5 })).toBe(
      undefined,
    );
    expect(checkConfig({ faults: { rejectEmails: ['x'], emptyPagesLoop: true } })).toBe(undefined);
    expect(checkConfig({ behaviour: { loginLinkStatus: 202 } })).toBe(
      'behaviour.loginLinkStatus must be one of 201, 200 (got 202)',
    );
    expect(checkConfig({ faults: { failRate: 2 } })).toMatch(/^faults.failRate must be/);
    expect(checkConfig({ rateLimt: 5 })).toBe('unknown option rateLimt');
  });
});
