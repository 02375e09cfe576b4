#!/usr/bin/env node
// Runs the agent's CLI from any working directory. The plain-JavaScript bundle in dist/ runs
// on bare `node` (built here first when it is missing or older than its sources); when it
// cannot be built (a read-only install without esbuild), the TypeScript sources run
// through tsx instead. SPARKDEN_AGENT_LOADER=tsx forces the sources.
import { pathToFileURL } from 'node:url';

async function bundleEntry() {
  if (process.env.SPARKDEN_AGENT_LOADER === 'tsx') {
    return undefined;
  }

  const { ensureAgentBundle } = await import('./bundle.js');
  try {
    return await ensureAgentBundle();
  } catch (error) {
    const code = error.code ?? error.name ?? 'ERROR';
    process.stderr.write(`sparkden-agent: no bundle (${code}); running the TypeScript sources\n`);
    return undefined;
  }
}

const entry = await bundleEntry();
if (entry === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
} else {
  await import(pathToFileURL(entry).href);
}
