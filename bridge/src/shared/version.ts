import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The bridge's version, from package.json. */
export const bridgeVersion: string = packageJson.version;
