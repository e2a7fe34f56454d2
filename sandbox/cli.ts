/**
 * `npm run sandbox -- [--port N] [--host H] [--state FILE] [--empty] [--latency MS] [--jitter MS]
 *   [--fail-rate X] [--reset-rate X] [--malformed-rate X] [--slow-rate X] [--slow-ms MS]
 *   [--throttle-burst N] [--group-order newest|oldest|name] [--throttle retry-after|reset-only]
 *   [--error-shape string|object] [--create-status 201|200] [--rate-limit N] [--seed N]`
 * Flags may also be given as environment variables: SANDBOX_PORT, SANDBOX_LATENCY_MS, …
 */
import { existsSync } from 'node:fs';
import { startSandbox, type Faults } from './server';
import type { Behaviour } from './decisions';
import { DEMO_KEY, OTHER_KEY, Store } from './store';

const args = process.argv.slice(2);
const flag = (name: string, env: string): string | undefined => {
  const index = args.indexOf(`--${name}`);
  if (index >= 0) return args[index + 1];
  return process.env[env];
};
const num = (name: string, env: string): number | undefined => {
  const value = flag(name, env);
  return value === undefined ? undefined : Number(value);
};
const defined = <T extends object>(object: T): Partial<T> =>
  Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;

const main = async () => {
  const stateFile = flag('state', 'SANDBOX_STATE');
  const store =
    stateFile && existsSync(stateFile)
      ? Store.load(stateFile)
      : args.includes('--empty')
        ? new Store({ sites: [] })
        : new Store();
  const faults: Partial<Faults> = defined({
    latencyMs: num('latency', 'SANDBOX_LATENCY_MS'),
    jitterMs: num('jitter', 'SANDBOX_JITTER_MS'),
    failRate: num('fail-rate', 'SANDBOX_FAIL_RATE'),
    resetRate: num('reset-rate', 'SANDBOX_RESET_RATE'),
    malformedRate: num('malformed-rate', 'SANDBOX_MALFORMED_RATE'),
    slowRate: num('slow-rate', 'SANDBOX_SLOW_RATE'),
    slowMs: num('slow-ms', 'SANDBOX_SLOW_MS'),
    throttleBurst: num('throttle-burst', 'SANDBOX_THROTTLE_BURST'),
    seed: num('seed', 'SANDBOX_SEED'),
  });
  const behaviour: Partial<Behaviour> = defined({
    groupOrder: flag('group-order', 'SANDBOX_GROUP_ORDER') as Behaviour['groupOrder'] | undefined,
    throttle: flag('throttle', 'SANDBOX_THROTTLE') as Behaviour['throttle'] | undefined,
    errorShape: flag('error-shape', 'SANDBOX_ERROR_SHAPE') as Behaviour['errorShape'] | undefined,
    createStatus: num('create-status', 'SANDBOX_CREATE_STATUS') as
      Behaviour['createStatus'] | undefined,
  });
  const sandbox = await startSandbox({
    port: num('port', 'SANDBOX_PORT') ?? 4010,
    host: flag('host', 'SANDBOX_HOST') ?? '127.0.0.1',
    store,
    faults,
    behaviour,
    rateLimit: num('rate-limit', 'SANDBOX_RATE_LIMIT'),
  });
  console.log(`Sotion API sandbox listening on ${sandbox.url}`);
  console.log(`  demo site key:  ${DEMO_KEY}`);
  console.log(`  other site key: ${OTHER_KEY}`);
  console.log(`  behaviour: ${JSON.stringify(sandbox.behaviour)}`);
  console.log(`  faults:    ${JSON.stringify(sandbox.faults)}`);
  console.log(
    `  control:   ${sandbox.origin}/__sandbox/{health,state,stats,config,reset,sites,seed,save,load}`,
  );
  console.log(
    `Try: SOTION_API_BASE_URL=${sandbox.url} authData_apiKey=${DEMO_KEY} npx zapier-platform invoke auth test`,
  );
  const stop = async () => {
    if (stateFile) {
      sandbox.store.save(stateFile);
      console.log(`state saved to ${stateFile}`);
    }
    await sandbox.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
