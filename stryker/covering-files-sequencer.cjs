// Jest test sequencer for Stryker runs only (see stryker.config.mjs).
//
// For a mutant, Stryker's jest runner passes the names of the covering tests as a name pattern,
// but jest still loads every test file related to the mutated file, and here nearly every test
// file imports the whole app: loading ~30 files per mutant cost more than running its tests. In a
// mutant run this sequencer keeps only the files that hold a covering test (recorded during the
// dry run by bail-environment.cjs); the name pattern then picks the tests inside them. A mutant
// hit outside any test (while a module loads) or missing from the map runs every file, as before.
// The files run fastest first (jest's default is slowest first): the first failing test kills the
// mutant and bail-environment.cjs skips the rest, so the quick files should get their chance first.
// Outside a mutant run it is jest's default sequencer.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const Sequencer = require('@jest/test-sequencer').default;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { readCoverageMap } = require('./coverage-map.cjs');

class CoveringFilesSequencer extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
    if (mutant === undefined || sorted.length === 0) return sorted;
    const map = readCoverageMap(sorted[0].context.config.rootDir);
    const files = map && !map.static.has(mutant) ? map.byMutant.get(mutant) : undefined;
    if (!files) return sorted;
    const covering = sorted.filter((test) => files.has(test.path));
    const ms = (test) => map.durations.get(test.path) ?? Number.MAX_SAFE_INTEGER;
    return (covering.length ? covering : sorted).sort((a, b) => ms(a) - ms(b));
  }
}

module.exports = CoveringFilesSequencer;
