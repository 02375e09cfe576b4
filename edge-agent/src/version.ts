import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The version this agent reports at enrollment and in its status. */
export const AGENT_VERSION = `sparkden-agent/${pkg.version}`;
