// Which test files cover which mutants, as recorded by bail-environment.cjs during Stryker's dry
// run and read by covering-files-sequencer.cjs during mutant runs. The file lives in Stryker's
// sandbox (the jest rootDir of the run), so every Stryker run starts with a fresh one.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { existsSync, readFileSync, statSync } = require('node:fs');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS module loaded by jest
const { join } = require('node:path');

const coverageMapPath = (rootDir) => join(rootDir, '.stryker-covering-files.jsonl');

/** A test's full name as Stryker's jest environment files its coverage: describes, then title. */
const fullName = (test) => {
  const names = [];
  for (let block = test.parent; block?.parent; block = block.parent) names.unshift(block.name);
  return [...names, test.name].join(' ').trimStart();
};

let cached;

/**
 * The map, or undefined before the dry run wrote it: `byMutant` (mutant id → test file paths),
 * `static` (mutant ids hit outside any test, e.g. while a module loads) and `durations` (test file
 * path → ms it took in the dry run).
 */
const readCoverageMap = (rootDir) => {
  const path = coverageMapPath(rootDir);
  if (!existsSync(path)) return undefined;
  const { mtimeMs, size } = statSync(path);
  if (cached?.path === path && cached.mtimeMs === mtimeMs && cached.size === size)
    return cached.map;
  const byMutant = new Map();
  const staticIds = new Set();
  const durations = new Map();
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (!text) continue;
    const line = JSON.parse(text);
    for (const id of line.mutants) {
      if (!byMutant.has(id)) byMutant.set(id, new Set());
      byMutant.get(id).add(line.file);
    }
    for (const id of line.static) staticIds.add(id);
    durations.set(line.file, line.ms);
  }
  const map = { byMutant, static: staticIds, durations };
  cached = { path, mtimeMs, size, map };
  return map;
};

module.exports = { coverageMapPath, fullName, readCoverageMap };
