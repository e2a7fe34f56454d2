/**
 * `npm start`'s plumbing: the Zapier CLI run in a directory of its own against one sandbox, and a
 * transcript whose parts run side by side but print in order.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Sandbox } from '../sandbox/server';
import { DEMO_KEY } from '../sandbox/store';

type CliResult = { code: number; json: unknown; stderr: string; ms: number };
export type Cli = (args: string[]) => Promise<CliResult>;
type Check = (ok: boolean, text: string) => void;

/** One part of the transcript: what it prints, its step headings and its checks. */
export type Part = {
  log: (line: string) => void;
  step: (n: number, title: string, input: string) => void;
  check: Check;
};

const root = resolve(__dirname, '..', '..');
/** The build `npm start` made (`npm run build:tools`): the app, compiled as dist/ is. */
export const built = resolve(__dirname, '..', 'index.js');
const cliBin = join(root, 'node_modules', '.bin', 'zapier-platform');
let work: string | undefined;
/** The demo's own directory under the system's temp directory, made on first use. */
export const workDir = (): string => (work ??= mkdtempSync(join(tmpdir(), 'sotion-demo-')));

/**
 * `zapier-platform invoke` in a directory of its own, against `sandbox`. `invoke` reads `.env` in
 * its working directory over the environment, and `invoke auth refresh` appends the computed auth
 * field to it: a developer's own `.env` neither overrides the demo nor receives its values. The
 * directory's index.js loads the build in .tools/, not dist/: `.ci/run` runs the Zapier build
 * (which empties dist/) beside `npm start`.
 */
export const cliIn = (sandbox: Sandbox, name: string): { appDir: string; cli: Cli } => {
  const appDir = join(workDir(), name);
  mkdirSync(appDir);
  for (const entry of ['package.json', 'node_modules']) {
    symlinkSync(join(root, entry), join(appDir, entry));
  }
  writeFileSync(
    join(appDir, 'index.js'),
    `module.exports = require(${JSON.stringify(built)}).default;\n`,
  );
  const cli: Cli = (args) =>
    new Promise((done) => {
      const started = Date.now();
      const child = spawn(cliBin, ['invoke', ...args], {
        cwd: appDir,
        env: {
          ...process.env,
          SOTION_API_BASE_URL: sandbox.url,
          authData_apiKey: DEMO_KEY,
          FORCE_COLOR: '0',
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => {
        const start = stdout.search(/^[[{]/m);
        let json: unknown;
        try {
          json = start >= 0 ? JSON.parse(stdout.slice(start)) : undefined;
        } catch {
          // no JSON result: the transcript shows stderr instead
        }
        done({
          code: code ?? 1,
          json,
          stderr: stderr + (json === undefined ? stdout : ''),
          ms: Date.now() - started,
        });
      });
    });
  return { appDir, cli };
};

/**
 * A transcript of `count` parts that may run side by side. Each part's lines print as soon as
 * every part before it has ended, so the output reads in step order whatever finishes first.
 */
export const transcript = (count: number) => {
  const parts = Array.from({ length: count }, () => ({
    lines: [] as string[],
    printed: 0,
    ended: false,
  }));
  let live = 0;
  let failures = 0;
  const pump = () => {
    while (live < count) {
      const current = parts[live]!;
      while (current.printed < current.lines.length) {
        process.stdout.write(`${current.lines[current.printed]}\n`);
        current.printed += 1;
      }
      if (!current.ended) return;
      live += 1;
    }
  };
  const part = (i: number): Part & { end: () => void } => {
    const log = (line: string) => {
      parts[i]!.lines.push(line);
      pump();
    };
    return {
      log,
      step: (n, title, input) => {
        log(`\n${n}. ${title}`);
        log(`    in:  ${input}`);
      },
      check: (ok, text) => {
        if (!ok) failures += 1;
        log(`    ${ok ? '✓' : '✗'} ${text}`);
      },
      end: () => {
        parts[i]!.ended = true;
        pump();
      },
    };
  };
  /** Ends every part (after an error), printing what each has. */
  const endAll = () => {
    for (const p of parts) p.ended = true;
    pump();
  };
  return { part, endAll, failures: () => failures };
};
