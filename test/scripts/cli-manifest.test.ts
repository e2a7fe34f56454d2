/**
 * scripts/cli-manifest.mjs (postinstall) saves the command manifest zapier-platform-cli's package
 * leaves out. It must be exactly what oclif builds on each start without it, for the installed CLI.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const cliRoot = dirname(require.resolve('zapier-platform-cli/package.json'));

/**
 * The manifest the CLI starts with (the saved file, as oclif reads it), and the one oclif builds
 * from the installed command modules when there is none.
 */
const manifests = (): unknown =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
const { Plugin } = createRequire(${JSON.stringify(join(cliRoot, 'package.json'))})('@oclif/core');
const atStart = new Plugin({ isRoot: true, root: ${JSON.stringify(cliRoot)} });
await atStart.load();
const fresh = new Plugin({ isRoot: true, root: ${JSON.stringify(cliRoot)}, ignoreManifest: true });
await fresh.load();
process.stdout.write(JSON.stringify({
  atStart: { fromFile: atStart.hasManifest, manifest: atStart.manifest },
  built: { fromFile: fresh.hasManifest, manifest: fresh.manifest },
}));`,
      ],
      { encoding: 'utf8' },
    ),
  );

describe('the CLI manifest written at install', () => {
  it('is the manifest oclif builds from the installed commands, for its version', () => {
    const saved = JSON.parse(readFileSync(join(cliRoot, 'oclif.manifest.json'), 'utf8')) as {
      version: string;
      commands: Record<string, unknown>;
    };
    const cli = JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(saved.version).toBe(cli.version);
    expect(Object.keys(saved.commands)).toContain('invoke');
    expect(manifests()).toEqual({
      atStart: { fromFile: true, manifest: saved },
      built: { fromFile: false, manifest: saved },
    });
  });
});
