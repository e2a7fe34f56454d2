// Mutants (by id) that already failed a test in this Stryker worker process: shared by
// bail-environment.cjs (which marks them) and bail-runner.cjs (which stops loading test files for
// them). Stryker runs jest in band, so both live in the worker process and see the same set.
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';

const killed = new Set();

/** The mutant of the current mutant run, or undefined outside one (plain jest, dry run). */
const activeMutant = () => process.env[ACTIVE_MUTANT];

module.exports = { activeMutant, killed };
