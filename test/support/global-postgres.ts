import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Every PostgreSQL-backed test runs against a real server. CI (.ci/run) starts a private cluster and
// exports TEST_DATABASE_URL; a developer running `npm test` without it gets the same private cluster
// started here. There is no skip path: without a server the suite fails with a clear message.
const script = fileURLToPath(new URL('../../scripts/ci/postgres.sh', import.meta.url));
let startedHere = false;

export function setup(): void {
  if (process.env.TEST_DATABASE_URL) return;
  let output: string;
  try {
    output = execFileSync('bash', [script, 'start'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } catch (error) {
    throw new Error(
      `No PostgreSQL server for the tests: set TEST_DATABASE_URL or install PostgreSQL server binaries (${String(error)})`,
    );
  }
  const vars = Object.fromEntries(
    output
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  if (!vars.TEST_DATABASE_URL)
    throw new Error(`scripts/ci/postgres.sh printed no TEST_DATABASE_URL: ${output}`);
  process.env.TEST_DATABASE_URL = vars.TEST_DATABASE_URL;
  startedHere = vars.PG_TEST_STARTED === '1';
}

export function teardown(): void {
  if (startedHere) execFileSync('bash', [script, 'stop'], { stdio: 'ignore' });
}
