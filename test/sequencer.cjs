// Jest test sequencer for `npm test`: the files that wait on real time start first.
//
// With a cold cache (every CI run) jest starts the largest files first. The end-to-end files wait
// on the sandbox over real HTTP, and the flood (test/e2e/flood.e2e.test.ts) waits about 20 s on a
// real rate limit; started late, the flood was the last file running, with the other workers
// idle. Started first, those waits overlap the CPU-bound unit files. Within each group the order is
// jest's own (failed first, then slowest, or largest when nothing is recorded).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const Sequencer = require('@jest/test-sequencer').default;

const rank = (test) => {
  if (test.path.endsWith('/test/e2e/flood.e2e.test.ts')) return 0;
  return test.path.includes('/test/e2e/') ? 1 : 2;
};

class RealTimeFirst extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    // Array.prototype.sort is stable: jest's order stays within each rank.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = RealTimeFirst;
