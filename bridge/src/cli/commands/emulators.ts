import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { BridgeError } from '../../shared/errors.js';
import type { CliSession } from '../context.js';

// `emulators`: runs the local Salesforce and Responsys emulators (test/emulators/main.ts), the same
// launcher as `npm run emulators`. They ship with the repository, not with a production install.

const launcher = new URL('../../../../test/emulators/main.ts', import.meta.url);

export function registerEmulatorsCommand(program: Command, session: CliSession): void {
  program
    .command('emulators')
    .description('run the local Salesforce and Responsys emulators with demo data (Ctrl+C stops them)')
    .action(async () => {
      if (!existsSync(fileURLToPath(launcher))) {
        throw new BridgeError(
          'NOT_FOUND',
          'The emulators are not part of this installation (test/emulators/main.ts is missing); run them from a clone of the repository.',
        );
      }
      session.err.write('Starting the emulators...\n');
      // The launcher starts on import and stops on SIGINT/SIGTERM; a start function is called if exported.
      const module = (await import(launcher.href)) as Record<string, unknown>;
      const start = module.startEmulators ?? module.start ?? module.main;
      if (typeof start === 'function') await (start as () => Promise<unknown>)();
      session.keepAlive = true;
    });
}
