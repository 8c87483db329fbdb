import type { Command } from 'commander';
import { describeConfig } from '../../config/describe.js';
import type { CliSession } from '../context.js';
import { formatConfig } from '../format.js';

// `check-config`: validates the configuration exactly as `start` would and prints the effective
// values with secrets masked. Invalid configuration exits with code 1 and names each variable.

export function registerCheckConfigCommand(program: Command, session: CliSession): void {
  program
    .command('check-config')
    .description('validate the configuration and print it with secrets masked (exit code 1 when invalid)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const config = session.loadConfig();
      const entries = describeConfig(config);
      session.out.write(
        options.json
          ? `${JSON.stringify({ mode: config.mode, variables: entries }, null, 2)}\n`
          : formatConfig(entries, config.mode),
      );
    });
}
