import { component, field, type Hl7Message } from './hl7-message.js';

/** [HL7 v2 MSA-1] AA accepted, AE error, AR rejected. */
export type AckCode = 'AA' | 'AE' | 'AR';

/** Formats a time as an HL7 DTM with seconds and offset. */
export function formatHl7Time(date: Date): string {
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const offset = -date.getTimezoneOffset();
  const zone = `${offset >= 0 ? '+' : '-'}${pad(Math.trunc(offset / 60))}${pad(offset % 60)}`;

  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}${zone}`
  );
}

/** Removes HL7 delimiters from free text put into an ACK. */
function clean(text: string): string {
  return text.replace(/[|^~\\&\r\n]/g, ' ').slice(0, 200);
}

/**
 * Builds the ACK for a message: MSA-1 `code`, MSA-2 the message's MSH-10 control id, and for
 * AE/AR an ERR segment (ERR-3 HL7 error code, ERR-4 severity E, ERR-8 the reason).
 * Sender and receiver are swapped from the original MSH. [HL7 v2.5 2.9 ACK, 2.15.5 ERR]
 *
 * @example
 * ```ts
 * buildAck(msg, 'AA'); // 'MSH|^~\\&|SPARKDEN|…\rMSA|AA|MSG00001'
 * ```
 */
export function buildAck(
  original: Hl7Message | undefined,
  code: AckCode,
  reason?: { hl7Error: string; text: string },
  now = new Date(),
): string {
  const msh = original?.segments[0];
  const controlId = field(msh, 10);
  const trigger = original ? component(original, field(msh, 9), 2) : '';
  const version = field(msh, 12) || '2.6';
  const ackId = `ACK${now.getTime().toString(36).toUpperCase()}`;
  const header = [
    'MSH',
    '^~\\&',
    field(msh, 5) || 'SPARKDEN',
    field(msh, 6),
    field(msh, 3),
    field(msh, 4),
    formatHl7Time(now),
    '',
    `ACK^${trigger}^ACK`,
    ackId,
    field(msh, 11) || 'P',
    version,
  ];
  const segments = [
    header.join('|'),
    `MSA|${code}|${controlId}${code === 'AA' || !reason ? '' : `|${clean(reason.text)}`}`,
  ];
  if (code !== 'AA' && reason) {
    const condition = `${reason.hl7Error}^${errorName(reason.hl7Error)}^HL70357`;
    segments.push(`ERR|||${condition}|E||||${clean(reason.text)}`);
  }

  return segments.join('\r');
}

/** [HL7 table 0357] the few message error conditions this listener reports. */
function errorName(code: string): string {
  const names: Record<string, string> = {
    '100': 'Segment sequence error',
    '101': 'Required field missing',
    '102': 'Data type error',
    '200': 'Unsupported message type',
    '201': 'Unsupported event code',
    '203': 'Unsupported version id',
    '204': 'Unknown key identifier',
    '207': 'Application internal error',
  };

  return names[code] ?? 'Application error';
}
