// `npm run emulators`: starts the local emulators standalone, with demo data, and prints where they are
// and how to log in. Each emulator is one entry in `launchers`; stopping (Ctrl+C) closes them all.
import { describeResponsysEmulatorForHumans, startResponsysEmulator } from './responsys/index.js';
import { describeSalesforceEmulatorForHumans, startSalesforceEmulator } from './salesforce/index.js';

interface RunningEmulator {
  describe(): string;
  close(): Promise<void>;
}

type Launcher = () => Promise<RunningEmulator>;

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  }
  return port;
}

const host = process.env.EMULATOR_HOST ?? '127.0.0.1';

const launchers: Launcher[] = [
  async () => {
    const emulator = await startSalesforceEmulator({
      host,
      port: portFromEnv('SALESFORCE_EMULATOR_PORT', 4010),
      demoData: true,
    });
    return { describe: () => describeSalesforceEmulatorForHumans(emulator), close: () => emulator.close() };
  },
  async () => {
    const emulator = await startResponsysEmulator({
      host,
      port: portFromEnv('RESPONSYS_EMULATOR_PORT', 4020),
      sftp: { port: portFromEnv('RESPONSYS_SFTP_PORT', 4022) },
      eventFilesDir: process.env.RESPONSYS_EVENT_FILES_DIR || undefined,
      demoData: true,
    });
    return { describe: () => describeResponsysEmulatorForHumans(emulator), close: () => emulator.close() };
  },
];

const running: RunningEmulator[] = [];
let stopping: Promise<never> | undefined;

/** Closes every emulator once; a second Ctrl+C while closing does not cut it short. */
function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    await Promise.allSettled(running.map((emulator) => emulator.close()));
    process.exit(code);
  })();
  return stopping;
}

try {
  for (const launch of launchers) running.push(await launch());
} catch (error) {
  console.error(`Could not start the emulators: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}

console.log(running.map((emulator) => emulator.describe()).join('\n\n'));
console.log('\nPress Ctrl+C to stop.');
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
