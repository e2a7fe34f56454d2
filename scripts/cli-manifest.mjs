// Writes the command manifest that zapier-platform-cli's npm package leaves out (run by `postinstall`).
//
// The CLI's package.json lists `oclif.manifest.json` in its published files, but the 19.1.0 tarball
// has none. Without it, oclif loads all 41 command modules on every start, to learn their flags,
// before running the one asked for: about 0.8 s of CPU per `zapier-platform` call, and `npm start`
// makes 24 of them (docs/development.md). The manifest written here is the one oclif builds in
// memory on each start, saved once. oclif uses it only while its version
// matches the installed CLI's, and each install writes it again.
//
// Where the CLI is not installed (a production install, as in `zapier-platform build`), it does
// nothing; where writing fails, it warns and the install goes on.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let root;
try {
  root = dirname(require.resolve('zapier-platform-cli/package.json'));
} catch {
  process.exit(0);
}
const file = join(root, 'oclif.manifest.json');
// A failed run leaves none behind (oclif would use a stale file of the same version).
if (existsSync(file)) rmSync(file);

try {
  // The CLI's own oclif, whichever copy npm gave it.
  const { Plugin } = createRequire(join(root, 'package.json'))('@oclif/core');
  // As oclif loads the CLI on each start (its root plugin), the saved file ignored.
  const plugin = new Plugin({ isRoot: true, root, ignoreManifest: true });
  await plugin.load();
  const { manifest } = plugin;
  writeFileSync(file, `${JSON.stringify(manifest)}\n`);
  console.log(
    `zapier-platform-cli ${manifest.version}: wrote oclif.manifest.json (${Object.keys(manifest.commands).length} commands)`,
  );
} catch (error) {
  // Only start-up time is lost: the CLI builds the same manifest on each start.
  console.warn(
    `zapier-platform-cli: no oclif.manifest.json written (${error}); the CLI still works, only slower to start`,
  );
}
