import { Agent } from './agent.js';
import { loadConfig, showConfigPath } from './config/load-config.js';
import { agentConfigSchema, type AgentConfigInput } from './config/schema.js';
import { ConfigError } from './errors.js';
import type { Logger } from './log.js';
import type { LocalStatus } from './status.js';

/** Options of {@link startAgent}: a config file, or a config object (validated here). */
export interface StartAgentOptions {
  configFile?: string;
  /** The same shape as the YAML file; defaults are filled in. */
  config?: AgentConfigInput;
  logger?: Logger;
  /** Reload on file change (default: true with `configFile`). */
  watchConfig?: boolean;
  /** Reload on SIGHUP and stop on SIGTERM/SIGINT (for the daemon; default false). */
  handleSignals?: boolean;
}

/** A running agent. */
export interface AgentHandle {
  readonly agentId: string;
  status(): LocalStatus;
  /** Reads the config file again; false when there is none or it is invalid. */
  reload(): boolean;
  stop(): Promise<void>;
}

function parseConfigObject(input: AgentConfigInput) {
  const result = agentConfigSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({
      field: showConfigPath(input, i.path) || '(root)',
      message: i.message,
    }));
    throw new ConfigError('(options.config)', issues);
  }

  return result.data;
}

/**
 * Starts an enrolled agent in this process: devices, durable queue, uplink.
 *
 * @throws {AgentError} `NOT_ENROLLED`, `CONFIG_INVALID`, `CONFIG_UNREADABLE`.
 * @example
 * ```ts
 * // In-process, as the hub's demo does, after enrollAgent() filled the state dir:
 * const demo = await startAgent({ config: { stateDir: '.data/agent', devices: [] } });
 * ```
 * @example
 * ```ts
 * const agent = await startAgent({ configFile: '/etc/sparkden/agent.yaml' });
 * console.log(agent.status().queue.depth);
 * await agent.stop();
 * ```
 */
export async function startAgent(options: StartAgentOptions): Promise<AgentHandle> {
  const config =
    options.config === undefined
      ? options.configFile === undefined
        ? undefined
        : loadConfig(options.configFile)
      : parseConfigObject(options.config);
  if (config === undefined) {
    throw new TypeError('"config" or "configFile" is required');
  }

  const agent = new Agent({
    config,
    configFile: options.configFile,
    logger: options.logger,
    watchConfig: options.watchConfig,
  });
  await agent.start();
  const onHup = () => agent.reload();
  const onTerm = () => {
    void agent.stop().then(() => process.exit(0));
  };
  if (options.handleSignals === true) {
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
  }

  return {
    agentId: agent.agentId,
    status: () => agent.status(),
    reload: () => agent.reload(),
    async stop() {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
      await agent.stop();
    },
  };
}
