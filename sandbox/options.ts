/**
 * Every sandbox option, once: its flag, environment variable, allowed values and help. The CLI
 * parses flags with node:util's parseArgs (strict: an unknown flag or a missing value is refused)
 * and reads values and environment variables with this table (a pure function, `parseCli`);
 * POST /__sandbox/config checks its JSON with the same rules (`checkConfig`).
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { BEHAVIOUR_CHOICES, DECISIONS, DEFAULT_BEHAVIOUR, type Behaviour } from './decisions';
import { NO_FAULTS, type Faults } from './faults';

/** Settings of a run besides behaviour and faults, changeable while it runs. */
export interface SandboxSettings {
  /** Requests per key per window (DECISIONS.rateLimit). */
  rateLimit: number;
  /** The rate-limit window in seconds; fractions are allowed (0.5 = 500 ms). */
  rateWindowSeconds: number;
  /** Accept http:// webhook URLs on loopback (tests only; Sotion requires https). */
  allowLoopbackHttpWebhooks: boolean;
}

export const DEFAULT_SETTINGS: SandboxSettings = {
  rateLimit: DECISIONS.rateLimit.limit,
  rateWindowSeconds: DECISIONS.rateLimit.windowSeconds,
  allowLoopbackHttpWebhooks: false,
};

/** Options of the command line only (fixed once the process runs). */
export interface ProcessOptions {
  port: number;
  host: string;
  state?: string;
  empty: boolean;
  pidFile?: string;
  webhookRetryDelaysMs?: number[];
  apiPrefix?: string;
}

export interface CliConfig {
  help: boolean;
  process: ProcessOptions;
  behaviour: Partial<Behaviour>;
  faults: Partial<Faults>;
  settings: Partial<SandboxSettings>;
}

interface Kind {
  /** The allowed values, for help and errors. */
  allowed: string;
  /** A flag without a value means true (`--empty`). */
  boolean?: boolean;
  /** The value of a flag or variable, or undefined when it is not allowed. */
  parse(text: string): unknown;
  /** Whether a JSON value (POST /__sandbox/config) is allowed. */
  check(value: unknown): boolean;
}

const numberKind = (allowed: string, min: number, max = Infinity, integer = false): Kind => {
  const check = (v: unknown) =>
    typeof v === 'number' &&
    Number.isFinite(v) &&
    v >= min &&
    v <= max &&
    (!integer || Number.isInteger(v));
  return {
    allowed,
    check,
    parse: (text) => {
      const value = text.trim() === '' ? NaN : Number(text);
      return check(value) ? value : undefined;
    },
  };
};

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const booleanKind: Kind = {
  allowed: 'true or false',
  boolean: true,
  check: (v) => typeof v === 'boolean',
  parse: (text) =>
    TRUE.includes(text.toLowerCase())
      ? true
      : FALSE.includes(text.toLowerCase())
        ? false
        : undefined,
};

const choiceKind = (values: ReadonlyArray<string | number>): Kind => ({
  allowed: `one of ${values.join(', ')}`,
  check: (v) => values.includes(v as string | number),
  parse: (text) => values.find((v) => String(v) === text),
});

const textKind: Kind = {
  allowed: 'a non-empty value',
  check: (v) => typeof v === 'string' && v !== '',
  parse: (text) => (text === '' ? undefined : text),
};

const count = numberKind('an integer ≥ 0', 0, Infinity, true);
const ms = numberKind('milliseconds ≥ 0', 0);
const rate = numberKind('a share from 0 to 1', 0, 1);

/** Seconds, fractions allowed, or with a unit: 2, 0.5, 500ms, 2s. */
const windowKind: Kind = {
  allowed: 'seconds > 0 (fractions allowed), or 500ms / 2s',
  check: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
  parse: (text) => {
    const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)?\s*$/.exec(text);
    if (!match) return undefined;
    const value = Number(match[1]) / (match[2] === 'ms' ? 1000 : 1);
    return value > 0 ? value : undefined;
  },
};

const validRegex = (source: string) => {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
};
/** Comma-separated substrings, or a /regular expression/. */
const emailsKind: Kind = {
  allowed: 'comma-separated substrings, or /regex/',
  check: (v) =>
    (Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '')) ||
    (typeof v === 'string' && validRegex(v)),
  parse: (text) => {
    const regex = /^\/(.+)\/$/.exec(text.trim());
    if (regex) return validRegex(regex[1]!) ? regex[1] : undefined;
    const parts = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return parts.length ? parts : undefined;
  },
};

const emptyPagesKind: Kind = {
  allowed: 'true (every list request), false, or a count N (the next N list requests)',
  check: (v) => typeof v === 'boolean' || count.check(v),
  parse: (text) => booleanKind.parse(text) ?? count.parse(text),
};

const delaysKind: Kind = {
  allowed: 'comma-separated milliseconds, e.g. 1000,2000,4000',
  check: (v) => Array.isArray(v) && v.every((d) => ms.check(d)),
  parse: (text) => {
    const delays = text.split(',').map((d) => ms.parse(d));
    return delays.every((d) => d !== undefined) ? delays : undefined;
  },
};

/** A URL path of one or more segments, without a trailing slash: /api/v1, /v1. */
const prefixKind: Kind = {
  allowed: 'a path such as /api/v1 or /v1',
  check: (v) => typeof v === 'string' && /^(\/[\w.~-]+)+$/.test(v),
  parse: (text) => (prefixKind.check(text) ? text : undefined),
};

type Scope = 'process' | 'behaviour' | 'faults' | 'settings';

interface Spec {
  flag: string;
  /** SANDBOX_ and the key in upper snake case: rateWindowSeconds → SANDBOX_RATE_WINDOW_SECONDS. */
  env: string;
  scope: Scope;
  /** The key in CliConfig and in the JSON of POST /__sandbox/config. */
  key: string;
  kind: Kind;
  arg: string;
  help: string;
}

const spec = (
  scope: Scope,
  key: string,
  flag: string,
  kind: Kind,
  arg: string,
  help: string,
): Spec => ({
  flag,
  env: `SANDBOX_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
  scope,
  key,
  kind,
  arg,
  help,
});

const behaviourHelp: { [K in keyof Behaviour]: [flag: string, help: string] } = {
  groupOrder: ['group-order', 'order of GET /access-groups'],
  throttle: ['throttle', '429s carry Retry-After, or only X-RateLimit-Reset'],
  errorShape: ['error-shape', '{"error": "…"} or {"error": {code, message}}'],
  createStatus: ['create-status', 'status of successful creates'],
  removeNotInGroup: [
    'remove-not-in-group',
    'DELETE /access-groups/{g}/members/{m} for a member not in the group',
  ],
  loginLinkStatus: ['login-link-status', 'status of POST /members/{id}/login-links'],
  groupCreatedAt: ['group-created-at', "'null' serves every group's createdAt/updatedAt as null"],
  membershipPayload: [
    'membership-payload',
    'data of access-group.member.* events: {memberId, accessGroupId}, or also member and accessGroup',
  ],
};

const { limit, windowSeconds } = DECISIONS.rateLimit;

/** The one table: flags, environment variables, --help and POST /__sandbox/config. */
export const OPTIONS: Spec[] = [
  spec(
    'process',
    'port',
    'port',
    numberKind('a port from 0 to 65535', 0, 65535, true),
    'N',
    'port to listen on; 0 picks a free one (default 4010)',
  ),
  spec('process', 'host', 'host', textKind, 'HOST', 'address to listen on (default 127.0.0.1)'),
  spec(
    'process',
    'state',
    'state',
    textKind,
    'FILE',
    'load the store from FILE at start (if it exists), save it there on exit',
  ),
  spec(
    'process',
    'empty',
    'empty',
    booleanKind,
    '',
    'start with no sites instead of the seeded demo sites',
  ),
  spec(
    'process',
    'pidFile',
    'pid-file',
    textKind,
    'FILE',
    'write the process id to FILE (removed on exit), for `kill $(cat FILE)`',
  ),
  spec(
    'process',
    'webhookRetryDelaysMs',
    'webhook-retry-delays',
    delaysKind,
    'MS,…',
    'delays between webhook delivery attempts (default 1000,2000,4000)',
  ),
  spec(
    'process',
    'apiPrefix',
    'api-prefix',
    prefixKind,
    'PATH',
    `serve the API under PATH only; /v1 is the Authentication page's variant (default ${DECISIONS.basePath})`,
  ),
  spec(
    'settings',
    'rateLimit',
    'rate-limit',
    count,
    'N',
    `requests per key per window (default ${limit})`,
  ),
  spec(
    'settings',
    'rateWindowSeconds',
    'rate-window',
    windowKind,
    'S',
    `rate-limit window: seconds, fractions allowed, or 500ms (default ${windowSeconds})`,
  ),
  spec(
    'settings',
    'allowLoopbackHttpWebhooks',
    'allow-loopback-http-webhooks',
    booleanKind,
    '',
    'accept http:// webhook URLs on 127.0.0.1/localhost/[::1] (tests only)',
  ),
  ...(Object.keys(behaviourHelp) as Array<keyof Behaviour>).map((key) => {
    const [flag, help] = behaviourHelp[key];
    const choices = BEHAVIOUR_CHOICES[key];
    const defaultHelp = `${help} (default ${DEFAULT_BEHAVIOUR[key]})`;
    return spec('behaviour', key, flag, choiceKind(choices), choices.join('|'), defaultHelp);
  }),
  spec('faults', 'latencyMs', 'latency', ms, 'MS', 'added to every API answer'),
  spec('faults', 'jitterMs', 'jitter', ms, 'MS', 'plus up to this much, drawn per request'),
  spec(
    'faults',
    'failRate',
    'fail-rate',
    rate,
    'X',
    'share of API requests answered 503 before any work',
  ),
  spec(
    'faults',
    'resetRate',
    'reset-rate',
    rate,
    'X',
    'share whose connection is reset after the work was done',
  ),
  spec(
    'faults',
    'malformedRate',
    'malformed-rate',
    rate,
    'X',
    'share answered with a truncated JSON body after the work',
  ),
  spec('faults', 'slowRate', 'slow-rate', rate, 'X', 'share answered only after --slow-ms'),
  spec('faults', 'slowMs', 'slow-ms', ms, 'MS', 'delay of the slow answers'),
  spec(
    'faults',
    'throttleBurst',
    'throttle-burst',
    count,
    'N',
    'answer the next N API requests 429',
  ),
  spec(
    'faults',
    'throttleResetSeconds',
    'throttle-reset',
    numberKind('seconds ≥ 0', 0),
    'S',
    `the burst's reset, seconds ahead (default ${NO_FAULTS.throttleResetSeconds})`,
  ),
  spec(
    'faults',
    'seed',
    'seed',
    numberKind('an integer', -(2 ** 53), 2 ** 53, true),
    'N',
    'seed of the fault draws: the same seed faults the same requests in every run (default 1)',
  ),
  spec(
    'faults',
    'emptyPagesLoop',
    'empty-pages-loop',
    emptyPagesKind,
    'true|N',
    'list endpoints answer an empty page with hasMore true and a fresh cursor',
  ),
  spec(
    'faults',
    'rejectEmails',
    'reject-emails',
    emailsKind,
    'LIST|/RE/',
    'POST /members and /members/bulk with a matching email answer 422 (the whole batch)',
  ),
];

/** What node:util's parseArgs is told: a boolean or a string per flag, and --help / -h. */
const PARSE_OPTIONS: ParseArgsOptionsConfig = {
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(
    OPTIONS.map((o) => [o.flag, { type: o.kind.boolean ? 'boolean' : 'string' } as const]),
  ),
};

const ALL_FLAGS = `${OPTIONS.map((o) => `--${o.flag}`).join(', ')}, --help`;

const badValue = (where: string, kind: Kind, text: string) =>
  `${where} must be ${kind.allowed} (got "${text}")`;

/**
 * parseArgs's refusal as one line naming the flag and what it takes. Its messages quote the flag
 * ("Unknown option '--latecny'", "Option '--port <value>' argument missing").
 */
const refusal = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const flag =
    quoted
      .split(/[\s,]+/)
      .filter((s) => s.startsWith('-'))
      .pop() ?? quoted;
  const o = OPTIONS.find((s) => `--${s.flag}` === flag);
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag}; the flags are ${ALL_FLAGS} (--help explains each)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"; every value follows its flag (run with --help for all flags)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (!o) return `${flag} takes no value`;
      return message.includes('ambiguous')
        ? `--${o.flag} needs a value: ${o.kind.allowed} (a value starting with "-" goes as --${o.flag}=VALUE)`
        : `--${o.flag} needs a value: ${o.kind.allowed}`;
    default:
      return message.split('\n')[0]!;
  }
};

export type CliResult = { ok: true; config: CliConfig } | { ok: false; error: string };

/** Flags over environment variables over defaults; no side effects. */
export const parseCli = (
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliResult => {
  const config: CliConfig = {
    help: false,
    process: { port: 4010, host: '127.0.0.1', empty: false },
    behaviour: {},
    faults: {},
    settings: {},
  };
  const set = (o: Spec, value: unknown) => {
    (config[o.scope] as Record<string, unknown>)[o.key] = value;
  };
  for (const o of OPTIONS) {
    const text = env[o.env];
    if (text === undefined) continue;
    const value = o.kind.parse(text);
    if (value === undefined) return { ok: false, error: badValue(o.env, o.kind, text) };
    set(o, value);
  }
  // parseArgs takes `--empty` and `--no-empty` but refuses `--empty=false`: that becomes --no-empty.
  const args: string[] = [];
  for (const arg of argv) {
    const match = /^--([^=]+)=(.*)$/s.exec(arg);
    const o = match && OPTIONS.find((s) => s.kind.boolean && s.flag === match[1]);
    if (!o) {
      args.push(arg);
      continue;
    }
    const value = o.kind.parse(match[2]!);
    if (value === undefined)
      return { ok: false, error: badValue(`--${o.flag}`, o.kind, match[2]!) };
    args.push(value ? `--${o.flag}` : `--no-${o.flag}`);
  }
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  try {
    ({ values } = parseArgs({ args, options: PARSE_OPTIONS, strict: true, allowNegative: true }));
  } catch (error) {
    return { ok: false, error: refusal(error) };
  }
  config.help = values.help === true;
  for (const o of OPTIONS) {
    const given = values[o.flag];
    if (given === undefined) continue;
    if (typeof given === 'boolean') {
      set(o, given);
      continue;
    }
    const text = String(given);
    const value = o.kind.parse(text);
    if (value === undefined) return { ok: false, error: badValue(`--${o.flag}`, o.kind, text) };
    set(o, value);
  }
  return { ok: true, config };
};

/** Checks the JSON of POST /__sandbox/config; returns the first problem, or undefined. */
export const checkConfig = (body: Record<string, unknown>): string | undefined => {
  const scopes: Array<[Exclude<Scope, 'process'>, Record<string, unknown>]> = [
    ['settings', body],
    ['behaviour', (body.behaviour ?? {}) as Record<string, unknown>],
    ['faults', (body.faults ?? {}) as Record<string, unknown>],
  ];
  for (const [scope, values] of scopes) {
    if (typeof values !== 'object' || values === null) return `${scope} must be an object`;
    for (const [key, value] of Object.entries(values)) {
      if (scope === 'settings' && (key === 'behaviour' || key === 'faults')) continue;
      const o = OPTIONS.find((s) => s.scope === scope && s.key === key);
      const name = scope === 'settings' ? key : `${scope}.${key}`;
      if (!o) return `unknown option ${name}`;
      if (!o.kind.check(value))
        return `${name} must be ${o.kind.allowed} (got ${JSON.stringify(value)})`;
    }
  }
  return undefined;
};

export const usage = (): string => {
  const rows = OPTIONS.map((o) => [`--${o.flag}${o.arg ? ` ${o.arg}` : ''}`, o.env, o.help]);
  const width = Math.max(...rows.map((r) => r[0]!.length));
  const envWidth = Math.max(...rows.map((r) => r[1]!.length));
  return [
    'Usage: npm run sandbox -- [flags]   (or: node .tools/sandbox/cli.js [flags])',
    '',
    'A local imitation of the Sotion REST API v1 for tests, benchmarks and `npm start`.',
    'Every flag can also be set by its environment variable; a flag wins over the variable.',
    'Flags take a value as `--flag value` or `--flag=value` (`--seed=-5` for a value starting',
    'with -); a flag without a value is true, `--no-flag` or `--flag=false` false. Exit codes:',
    '0 ok, 1 could not start (e.g. port in use), 2 bad flags. The process exits when its parent',
    'dies.',
    '',
    ...rows.map(
      ([flag, env, help]) => `  ${flag!.padEnd(width)}  ${env!.padEnd(envWidth)}  ${help}`,
    ),
    `  ${'--help, -h'.padEnd(width)}  ${''.padEnd(envWidth)}  print this and exit`,
    '',
    'While it runs, POST /__sandbox/config {"behaviour": {…}, "faults": {…}, "rateLimit": N,',
    '"rateWindowSeconds": S, "allowLoopbackHttpWebhooks": true} changes the same options.',
  ].join('\n');
};
