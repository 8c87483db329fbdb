import { runCli } from './program.js';

// Entry point of `responsys-bridge` (bin/responsys-bridge.js) and `npm start` / `npm run cli --`.
const result = await runCli(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
if (!result.keepAlive) process.exitCode = result.exitCode;
