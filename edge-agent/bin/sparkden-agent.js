#!/usr/bin/env node
// Runs the agent's CLI from any working directory. The plain-JavaScript bundle in dist/ runs
// on bare `node` (built here first when it is missing or older than its sources); when it
// cannot be built (a read-only install without esbuild), the TypeScript sources run
// through tsx instead. SPARKDEN_AGENT_LOADER=tsx forces the sources.
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// V8 settings the systemd unit asks for that NODE_OPTIONS refuses (small boxes: a lower
// optimisation tier and size-first heuristics, edge-agent/src/agent-rss.bench.ts), applied
// before any of the agent's code is loaded. Only these are accepted: a typo or another flag
// stops the agent with a message naming it, instead of being ignored by V8.
const V8_FLAG = /^--(max-opt=[0-3]|optimize-for-size|single-threaded-gc)$/;

function applyV8Flags(text) {
  const flags = text.split(/\s+/).filter(Boolean);
  const bad = flags.find((f) => !V8_FLAG.test(f));
  if (bad !== undefined) {
    process.stderr.write(
      `sparkden-agent: SPARKDEN_AGENT_V8_FLAGS: "${bad}" is not one of ` +
        '--max-opt=<0-3>, --optimize-for-size, --single-threaded-gc\n',
    );
    process.exit(2);
  }

  if (flags.length > 0) {
    setFlagsFromString(flags.join(' '));
  }
}

applyV8Flags(process.env.SPARKDEN_AGENT_V8_FLAGS ?? '');

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
