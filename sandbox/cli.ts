/**
 * `npm run sandbox -- [flags]` (or `node .tools/sandbox/cli.js [flags]` after `npm run build:tools`).
 * `--help` lists every flag and its environment variable (sandbox/options.ts). Exit codes: 0 after
 * --help or a signal, 1 when the server cannot start (port in use), 2 for bad flags or values.
 * The process also stops when its parent dies (e.g. `npm run sandbox &` then `kill $!`).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { parseCli, usage } from './options';
import { startSandbox } from './server';
import { DEMO_KEY, OTHER_KEY, Store } from './store';

const fatal = (message: string, code: number): never => {
  process.stderr.write(`sandbox: ${message}\n`);
  process.exit(code);
};

const listenError = (error: unknown, host: string, port: number): string => {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return `port ${port} on ${host} is already in use; choose another with --port N or SANDBOX_PORT (0 picks a free one)`;
  if (code === 'EACCES') return `no permission to listen on port ${port} on ${host}`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return `cannot listen on host ${host}: not an address of this machine`;
  return `cannot start: ${error instanceof Error ? error.message : String(error)}`;
};

const main = async () => {
  const parsed = parseCli(process.argv.slice(2), process.env);
  if (!parsed.ok) return fatal(parsed.error, 2);
  const { help, process: run, behaviour, faults, settings } = parsed.config;
  if (help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const store =
    run.state && existsSync(run.state)
      ? Store.load(run.state)
      : run.empty
        ? new Store({ sites: [] })
        : new Store();
  const sandbox = await startSandbox({
    port: run.port,
    host: run.host,
    store,
    faults,
    behaviour,
    ...settings,
    webhookRetryDelaysMs: run.webhookRetryDelaysMs,
    apiPrefix: run.apiPrefix,
  }).catch((error: unknown) => fatal(listenError(error, run.host, run.port), 1));
  if (run.pidFile) writeFileSync(run.pidFile, `${process.pid}\n`);
  console.log(`Sotion API sandbox listening on ${sandbox.url}`);
  console.log(`  demo site key:  ${DEMO_KEY}`);
  console.log(`  other site key: ${OTHER_KEY}`);
  console.log(`  behaviour: ${JSON.stringify(sandbox.behaviour)}`);
  console.log(`  faults:    ${JSON.stringify(sandbox.faults)}`);
  console.log(`  settings:  ${JSON.stringify(sandbox.settings)}`);
  console.log(
    `  control:   ${sandbox.origin}/__sandbox/{health,state,stats,config,reset,sites,seed,member-auth,save,load}`,
  );
  console.log(
    // The documented base on this host: sessionConfig.perform (`invoke auth refresh`, which
    // appends the base it found to .env) finds /v1 when that is served instead.
    `Try: export SOTION_API_BASE_URL=${sandbox.origin}/api/v1 authData_apiKey=${DEMO_KEY}; ` +
      'npx zapier-platform invoke auth refresh && npx zapier-platform invoke auth test',
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (run.state) {
      sandbox.store.save(run.state);
      console.log(`state saved to ${run.state}`);
    }
    if (run.pidFile) rmSync(run.pidFile, { force: true });
    await sandbox.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
  // `npm run sandbox &` then `kill $!` kills npm, not this process: when the parent goes, the
  // process is re-parented, and it stops (saving its state like on a signal).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 250);
};

main().catch((error: unknown) => fatal(error instanceof Error ? error.message : String(error), 1));
