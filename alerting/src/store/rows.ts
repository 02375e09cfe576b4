import type { AlarmMessage, Observation } from '@sparkden/protocol';

import { OBSERVATION_COLUMNS, type ObservationColumn } from './schema-sql.js';

/** The columns a write fills; `stored_at` takes the server's default. */
export const WRITE_COLUMNS = OBSERVATION_COLUMNS.map(([name]) => name).filter(
  (name): name is Exclude<ObservationColumn, 'stored_at'> => name !== 'stored_at',
);

type WriteColumn = (typeof WRITE_COLUMNS)[number];

/** One observation as column values, in {@link WRITE_COLUMNS} order. */
export type ObservationRow = Record<WriteColumn, unknown>;

/** Maps a validated observation to its row. */
export function toObservationRow(o: Observation, agentId: string): ObservationRow {
  return {
    id: o.id,
    patient: o.patient,
    device_id: o.device.id,
    device_model: o.device.model ?? null,
    device_serial: o.device.serial ?? null,
    transport: o.device.transport,
    agent_id: agentId,
    code: o.code,
    loinc: o.loinc,
    mdc: o.mdc ?? null,
    value: o.value ?? null,
    unit: o.unit ?? null,
    data_absent_reason: o.dataAbsentReason ?? null,
    components: o.components ?? null,
    effective_at: o.effectiveAt,
    device_time: o.deviceTime ?? null,
    received_at: o.receivedAt,
    status: o.status,
    quality: o.quality,
    interpretation: o.interpretation ?? null,
    context: o.context ?? null,
  };
}

/** One device alarm as a row of `vitals.alarm`. */
export type AlarmRow = AlarmMessage['alarms'][number] & { agentId: string };

/** The SQL type of each written column, for `jsonb_to_recordset`. */
export function recordsetTypes(): string {
  const types = new Map<string, string>(OBSERVATION_COLUMNS.map(([n, t]) => [n, t]));

  const bare = (t: string) => t.replace(/ (not null|default) .*$| not null$/, '');

  return WRITE_COLUMNS.map((c) => `${c} ${bare(types.get(c)!)}`).join(', ');
}

// [PostgreSQL 15 sql-copy: text format] backslash, newline, carriage return and tab are
// escaped; \N is NULL.
function escapeText(s: string): string {
  return s.replace(/[\\\n\r\t]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      default:
        return '\\t';
    }
  });
}

// [PostgreSQL 15 arrays 8.15.6: array input] elements in double quotes, with " and \ escaped.
function arrayLiteral(items: readonly string[]): string {
  const quoted = items.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`);

  return `{${quoted.join(',')}}`;
}

function copyField(value: unknown): string {
  if (value === null || value === undefined) {
    return '\\N';
  }
  if (typeof value === 'string') {
    return escapeText(value);
  }
  if (typeof value === 'number') {
    return String(value);
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return escapeText(arrayLiteral(value));
  }

  return escapeText(JSON.stringify(value));
}

/**
 * Encodes rows for `COPY … FROM STDIN` in text format, one line per row.
 *
 * @example
 * ```ts
 * encodeCopyText([toObservationRow(obs, 'agent-1')]);
 * ```
 */
export function encodeCopyText(rows: readonly ObservationRow[]): string {
  let out = '';
  for (const row of rows) {
    out += WRITE_COLUMNS.map((c) => copyField(row[c])).join('\t');
    out += '\n';
  }

  return out;
}
