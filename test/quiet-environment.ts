/**
 * The node test environment, quiet: what a test file writes to the console (its own figures, the
 * integration's z.console lines, core's logs) is held back and printed only for a test that
 * fails, and, when anything in the file failed, what was written outside the tests (hooks,
 * module code). `TEST_LOGS=1 npm test` prints everything as it comes.
 */
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';
import { format } from 'node:util';

const METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;
type Method = (typeof METHODS)[number];
type Write = (...args: unknown[]) => void;

interface Held {
  method: Method;
  args: unknown[];
  /** Where it was written: the caller's stack frame. */
  at: string;
}

/** The frame that called the console (two above this function: the wrapper, then its caller). */
const caller = (rootDir: string): string => {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 3;
  const frame = new Error().stack?.split('\n')[3] ?? '';
  Error.stackTraceLimit = limit;
  return frame.trim().replace(/^at /, '').split(`${rootDir}/`).join('');
};

export default class QuietEnvironment extends TestEnvironment {
  private readonly quiet = !process.env.TEST_LOGS;
  /** The console's own methods, which print (jest's console for this file). */
  private readonly write = new Map<Method, Write>();
  /** Lines of the running test, or undefined between tests. */
  private test: Held[] | undefined;
  /** Lines written outside any test. */
  private outside: Held[] = [];
  private failed = false;
  private done = false;
  private readonly rootDir: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.rootDir = config.projectConfig.rootDir;
  }

  override async setup(): Promise<void> {
    await super.setup();
    if (!this.quiet) return;
    // jest has put this file's console in place by now.
    const console = this.global.console as unknown as Record<Method, Write>;
    for (const method of METHODS) {
      const write = console[method].bind(console);
      this.write.set(method, write);
      console[method] = (...args: unknown[]) => {
        if (this.done) return write(...args);
        (this.test ?? this.outside).push({ method, args, at: caller(this.rootDir) });
      };
    }
  }

  async handleTestEvent(event: Circus.Event): Promise<void> {
    if (!this.quiet) return;
    switch (event.name) {
      case 'test_start':
        this.test = [];
        break;
      case 'test_done':
        if (event.test.errors.length > 0) {
          this.failed = true;
          this.print(this.test ?? [], `console output of the failed test "${event.test.name}":`);
        }
        this.test = undefined;
        break;
      case 'hook_failure':
        this.failed = true;
        break;
      case 'run_finish':
        if (this.failed) this.print(this.outside, 'console output outside the tests of this file:');
        this.outside = [];
        this.done = true;
        break;
      default:
        break;
    }
  }

  /** One block per line, through console.log (jest's frame for other methods would point here). */
  private print(lines: Held[], heading: string): void {
    const log = this.write.get('log');
    if (lines.length === 0 || !log) return;
    log(heading);
    for (const { method, args, at } of lines)
      log(`${format(...args)}\n(console.${method} at ${at})`);
  }
}
