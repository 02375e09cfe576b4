import { DriverError } from '../errors.js';

/** One segment: its fields, field 0 being the segment id. Repetitions and components kept raw. */
export interface Hl7Segment {
  id: string;
  fields: string[];
  /** Character offset of the segment in the message text. */
  offset: number;
}

/** A parsed HL7 v2 message with its encoding characters. */
export interface Hl7Message {
  segments: Hl7Segment[];
  fieldSeparator: string;
  componentSeparator: string;
  repetitionSeparator: string;
  subcomponentSeparator: string;
}

/**
 * Splits HL7 v2 text into segments and fields. Segments end with CR (LF and CRLF accepted,
 * as captured files often have them). [HL7 v2.x 2.5: MSH-1 is the field separator, MSH-2
 * the component, repetition, escape and subcomponent characters]
 *
 * @throws {DriverError} `MALFORMED` with the character offset.
 * @example
 * ```ts
 * const msg = parseHl7('MSH|^~\\&|MON|ICU|...');
 * ```
 */
export function parseHl7(text: string): Hl7Message {
  if (!text.startsWith('MSH')) {
    throw new DriverError('MALFORMED', 'a message must start with an MSH segment', { offset: 0 });
  }
  const fieldSeparator = text.charAt(3);
  const encoding = text.slice(4, 8);
  if (fieldSeparator === '' || /[A-Za-z0-9\r\n]/.test(fieldSeparator) || encoding.length < 4) {
    throw new DriverError('MALFORMED', 'MSH-1/MSH-2 encoding characters missing', { offset: 3 });
  }

  const segments: Hl7Segment[] = [];
  // Offsets count the real line ends, so a CRLF capture points at the right character.
  const ending = /\r\n|\r|\n/g;
  let offset = 0;
  for (;;) {
    const end = ending.exec(text);
    const line = text.slice(offset, end?.index ?? text.length);
    if (line.trim() !== '') {
      segments.push(parseSegment(line, offset, fieldSeparator));
    }
    if (end === null) {
      break;
    }
    offset = end.index + end[0].length;
  }

  return {
    segments,
    fieldSeparator,
    componentSeparator: encoding.charAt(0),
    repetitionSeparator: encoding.charAt(1),
    subcomponentSeparator: encoding.charAt(3),
  };
}

function parseSegment(line: string, offset: number, separator: string): Hl7Segment {
  const id = line.slice(0, 3);
  if (!/^[A-Z][A-Z0-9]{2}$/.test(id) || (line.length > 3 && line.charAt(3) !== separator)) {
    throw new DriverError('MALFORMED', `bad segment id "${id.slice(0, 3)}"`, { offset });
  }
  const parts = line.split(separator);
  // [HL7 v2: in MSH, MSH-1 is the separator itself, so MSH-n is parts[n - 1]]
  const fields = id === 'MSH' ? ['MSH', separator, ...parts.slice(1)] : parts;

  return { id, fields, offset };
}

/** Field `n` of a segment (`''` when absent). */
export function field(segment: Hl7Segment | undefined, n: number): string {
  return segment?.fields[n] ?? '';
}

/** Component `c` (1-based) of the first repetition of a field value. */
export function component(message: Hl7Message, value: string, c: number): string {
  const first = value.split(message.repetitionSeparator)[0] ?? '';

  return first.split(message.componentSeparator)[c - 1] ?? '';
}

/**
 * Parses an HL7 DTM (`YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]`). Without an offset the time
 * is the agent's local time. Returns `undefined` for an empty or invalid value.
 */
export function parseHl7Time(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/.exec(
    value,
  );
  if (!m) {
    return undefined;
  }
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '0', zone] = m;
  const ms = Math.round(Number(`0.${frac}`) * 1000);
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${String(ms).padStart(3, '0')}`;
  const date = new Date(zone ? `${iso}${zone.slice(0, 3)}:${zone.slice(3)}` : iso);

  return Number.isNaN(date.getTime()) ? undefined : date;
}
