import { Command, CommanderError } from 'commander';
import type { BridgeModule } from '../module.js';
import { installedModules } from '../modules.js';
import { isBridgeError } from '../shared/errors.js';
import { bridgeVersion } from '../shared/version.js';
import { registerCheckConfigCommand } from './commands/check-config.js';
import { registerEmulatorsCommand } from './commands/emulators.js';
import { registerOperationCommands } from './commands/operations.js';
import { registerStartCommand } from './commands/start.js';
import { CliSession, type CliIo, type GlobalOptions } from './context.js';

// The `responsys-bridge` command line. Built per run so tests can drive it in-process with their own
// output streams and environment. Modules add their commands (backfill, sync-campaign...) through
// BridgeModule.cli.

export interface CliResult {
  exitCode: number;
  /** true when a command keeps running in the background (the emulators) */
  keepAlive: boolean;
}

export function buildProgram(session: CliSession): Command {
  const program = new Command('responsys-bridge')
    .description('Responsys Bridge for Salesforce: run the service and operate it')
    .version(bridgeVersion, '-v, --version')
    .option('--env-file <path>', 'read configuration from this file instead of ./.env')
    .option('--url <url>', "use a running bridge's admin API (also BRIDGE_URL) instead of the store")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => session.out.write(text),
      writeErr: (text) => session.err.write(text),
    });
  registerStartCommand(program, session);
  registerCheckConfigCommand(program, session);
  registerOperationCommands(program, session);
  registerEmulatorsCommand(program, session);
  for (const module of session.modules) module.cli?.(program, session);
  return program;
}

export async function runCli(
  argv: readonly string[],
  io: CliIo,
  modules: readonly BridgeModule[] = installedModules,
): Promise<CliResult> {
  const built: { program?: Command } = {};
  const session = new CliSession(io, modules, () => (built.program?.opts() ?? {}) as GlobalOptions);
  const program = (built.program = buildProgram(session));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return { exitCode: session.exitCode, keepAlive: session.keepAlive };
  } catch (error) {
    if (error instanceof CommanderError) {
      return { exitCode: error.exitCode, keepAlive: false };
    }
    io.err.write(
      `error: ${isBridgeError(error) ? error.message : error instanceof Error ? error.message : String(error)}\n`,
    );
    return { exitCode: 1, keepAlive: false };
  }
}
