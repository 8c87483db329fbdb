// Builds the engagement timeline outside Salesforce: the real component sources compiled by the
// LWC compiler (the engine version sfdx-lwc-jest uses), synthetic shadow, SLDS styles and sprite
// icons, and a fixture-backed stand-in for the Apex controller. The output is a static site.
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup, type Plugin } from 'rollup';
import lwcModule, { type RollupLwcOptions } from '@lwc/rollup-plugin';
import replaceModule from '@rollup/plugin-replace';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const appDir = path.join(here, 'app');
const lwcDir = path.join(repoRoot, 'force-app/main/default/lwc');
const require = createRequire(import.meta.url);
const sldsAssets = path.join(
  path.dirname(require.resolve('@salesforce-ux/design-system/package.json')),
  'assets',
);

export const defaultOutDir = path.join(here, 'dist');

// Both plugins ship CommonJS with `exports.default`; under NodeNext the default import may be the
// module object rather than the function.
type PluginFactory<Options> = (options?: Options) => Plugin;
function interopDefault<Options>(module: unknown): PluginFactory<Options> {
  const candidate = module as { default?: unknown };
  return (typeof candidate === 'function' ? candidate : candidate.default) as PluginFactory<Options>;
}
const lwc = interopDefault<RollupLwcOptions>(lwcModule);
const replace = interopDefault<Record<string, unknown>>(replaceModule);

// The platform modules the component imports, served by the preview's stand-ins.
const platformModules: Record<string, string> = {
  '@salesforce/apex': path.join(appDir, 'salesforce/apex.js'),
  '@salesforce/apex/ResponsysEngagementController.getEngagement': path.join(
    appDir,
    'salesforce/getEngagement.js',
  ),
  '@salesforce/i18n/locale': path.join(appDir, 'salesforce/locale.js'),
  '@salesforce/i18n/timeZone': path.join(appDir, 'salesforce/timeZone.js'),
};

function salesforcePlatformModules(): Plugin {
  return {
    name: 'salesforce-platform-modules',
    resolveId(source) {
      if (source in platformModules) {
        return platformModules[source];
      }
      if (source.startsWith('@salesforce/') || source.startsWith('lightning/')) {
        this.error(
          `The preview has no stand-in for "${source}". Add one in scripts/preview/app/salesforce/ ` +
            'and map it in scripts/preview/build.ts, or avoid the import in the component.',
        );
      }
      return null;
    },
  };
}

async function componentModules(): Promise<{ name: string; path: string }[]> {
  const entries = await readdir(lwcDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ name: `c/${entry.name}`, path: path.join(lwcDir, entry.name, `${entry.name}.js`) }));
}

export interface PreviewBuildOptions {
  /** Where the static site goes; default scripts/preview/dist. */
  outDir?: string;
}

export interface PreviewBuild {
  outDir: string;
}

export async function buildPreview(options: PreviewBuildOptions = {}): Promise<PreviewBuild> {
  const outDir = path.resolve(options.outDir ?? defaultOutDir);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const bundle = await rollup({
    input: path.join(appDir, 'main.js'),
    plugins: [
      salesforcePlatformModules(),
      replace({ preventAssignment: true, values: { 'process.env.NODE_ENV': JSON.stringify('production') } }),
      lwc({ rootDir: repoRoot, modules: await componentModules() }),
    ],
    onwarn(warning, warn) {
      // Rollup reports circular imports inside the LWC engine itself; they are harmless.
      if (warning.code === 'CIRCULAR_DEPENDENCY') {
        return;
      }
      warn(warning);
    },
  });
  try {
    await bundle.write({ file: path.join(outDir, 'app.js'), format: 'iife', sourcemap: true });
  } finally {
    await bundle.close();
  }

  await Promise.all([
    cp(path.join(appDir, 'index.html'), path.join(outDir, 'index.html')),
    cp(path.join(appDir, 'preview.css'), path.join(outDir, 'preview.css')),
    cp(
      path.join(sldsAssets, 'styles/salesforce-lightning-design-system.min.css'),
      path.join(outDir, 'assets/styles/salesforce-lightning-design-system.min.css'),
    ),
    // Lightning Experience serves the SLDS sprites under /_slds/icons/: the component uses that path.
    ...['standard', 'utility'].map((category) =>
      cp(
        path.join(sldsAssets, `icons/${category}-sprite/svg/symbols.svg`),
        path.join(outDir, `_slds/icons/${category}-sprite/svg/symbols.svg`),
      ),
    ),
  ]);
  return { outDir };
}
