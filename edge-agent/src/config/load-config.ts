import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

import { LineCounter, isMap, isSeq, parseDocument, type Document, type Node } from 'yaml';

import { AgentError, ConfigError, type ConfigIssue } from '../errors.js';
import type * as z from '../zod-mini.js';
import { agentConfigSchema, type AgentConfig } from './schema.js';

type Path = readonly PropertyKey[];

function nodeAt(doc: Document, path: Path): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
    if (node !== undefined && (node.range !== undefined || isMap(node) || isSeq(node))) {
      return node;
    }
  }

  return undefined;
}

function place(
  doc: Document,
  lines: LineCounter,
  path: Path,
): Pick<ConfigIssue, 'line' | 'column'> {
  const node = nodeAt(doc, path);
  const offset = node?.range?.[0];
  if (offset === undefined) {
    return {};
  }
  const { line, col } = lines.linePos(offset);

  return { line, column: col };
}

/** Maps whose keys identify patients (an MRN under `patients`): never shown, only counted. */
const PATIENT_KEYED = new Set(['patients']);

/**
 * The dotted path of a field of `input` (the config as parsed), each patient identifier
 * replaced by its place in its map (`devices.0.patients[key 3]`), so an error names the
 * field and never the patient.
 *
 * @example
 * ```ts
 * showConfigPath({ patients: { 'MRN-1': '' } }, ['patients', 'MRN-1']); // 'patients[key 1]'
 * ```
 */
export function showConfigPath(input: unknown, path: Path): string {
  let shown = '';
  let node = input;
  for (let i = 0; i < path.length; i++) {
    const segment = String(path[i]);
    const parent = path[i - 1];
    if (typeof parent === 'string' && PATIENT_KEYED.has(parent)) {
      const keys = node !== null && typeof node === 'object' ? Object.keys(node) : [];
      shown += `[key ${keys.indexOf(segment) + 1}]`;
    } else {
      shown += shown === '' ? segment : `.${segment}`;
    }
    node =
      node !== null && typeof node === 'object'
        ? (node as Record<string, unknown>)[segment]
        : undefined;
  }

  return shown;
}

function toIssues(doc: Document, lines: LineCounter, error: z.core.$ZodError): ConfigIssue[] {
  const input: unknown = doc.toJS();

  return error.issues.map((issue) => {
    const field = showConfigPath(input, issue.path) || '(root)';
    // An unknown key is reported on the key itself, not its parent.
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? issue.keys : [];
    const path: Path = keys.length > 0 ? [...issue.path, keys[0]] : issue.path;
    const shown = keys.length > 0 ? showConfigPath(input, path) : field;

    return { field: shown, message: issue.message, ...place(doc, lines, path) };
  });
}

/**
 * Parses and validates a YAML config text. Relative paths (`stateDir`, device files) are
 * taken from `baseDir`.
 *
 * @throws {ConfigError} naming the line, column and field of each problem.
 * @example
 * ```ts
 * const config = parseConfig(text, '/etc/sparkden/agent.yaml');
 * ```
 */
export function parseConfig(text: string, file: string, baseDir = dirname(file)): AgentConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);

      return { field: '(syntax)', message: e.message.split('\n')[0] ?? e.code, line, column: col };
    });
    throw new ConfigError(file, issues);
  }

  const result = agentConfigSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new ConfigError(file, toIssues(doc, lines, result.error));
  }
  const config = result.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  config.stateDir = abs(config.stateDir);
  for (const device of config.devices) {
    if (device.file !== undefined) {
      device.file.path = abs(device.file.path);
    }
  }

  return config;
}

/**
 * Reads and validates a config file.
 *
 * @throws {AgentError} `CONFIG_UNREADABLE`, or {@link ConfigError} `CONFIG_INVALID`.
 */
export function loadConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AgentError('CONFIG_UNREADABLE', `cannot read ${file}`, { cause });
  }

  return parseConfig(text, file);
}
