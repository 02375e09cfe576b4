/**
 * `@sparkden/edge-agent`: the on-prem daemon that reads devices, keeps every reading in a
 * sealed durable queue and forwards it to the hub over MQTT with mutual TLS.
 *
 * @example
 * ```ts
 * import { enrollAgent, startAgent } from '@sparkden/edge-agent';
 * await enrollAgent({ hub: 'https://hub:8443', token, stateDir: '/var/lib/sparkden-agent' });
 * const agent = await startAgent({ configFile: '/etc/sparkden/agent.yaml' });
 * ```
 */
export { startAgent, type AgentHandle, type StartAgentOptions } from './start-agent.js';
export { Agent, type AgentOptions } from './agent.js';
export { enrollAgent, type EnrollOptions, type EnrollResult } from './enroll/enroll.js';
export { loadConfig, parseConfig } from './config/load-config.js';
export {
  agentConfigSchema,
  type AgentConfig,
  type AgentConfigInput,
  type DeviceConfig,
  type AlarmRule,
} from './config/schema.js';
export {
  AgentError,
  ConfigError,
  InvalidStateError,
  type AgentErrorCode,
  type ConfigIssue,
} from './errors.js';
export {
  SealedQueue,
  PRIORITY,
  type QueueStats,
  type SealedQueueOptions,
} from './queue/sealed-queue.js';
export { readLocalStatus, formatStatus, type LocalStatus, type AgentProblem } from './status.js';
export { STATE_FILES, loadCredentials, type Credentials, type Identity } from './state-dir.js';
export { createLogger } from './log.js';
export { AGENT_VERSION } from './version.js';
