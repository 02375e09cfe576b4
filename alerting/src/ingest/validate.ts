import {
  alarmItemSchema,
  alarmSchema,
  observationBatchSchema,
  parseObservation,
  type AlarmMessage,
  type Observation,
  ObservationError,
} from '@sparkden/protocol';
import { z } from 'zod';

/** One item the hub refused, as listed in `Ack.rejected`. */
export interface Rejection {
  id: string;
  reason: string;
}

/** A batch whose frame is sound, its items sorted into valid and rejected. */
export interface SortedBatch<T> {
  agentId: string;
  seq: number;
  valid: T[];
  rejected: Rejection[];
}

// The frames' own fields as protocol checks them, their items left to be sorted one by one.
const obsShell = z.object({
  ...observationBatchSchema.shape,
  observations: z.array(z.unknown()).min(1).max(5000),
});
const alarmShell = z.object({
  ...alarmSchema.shape,
  alarms: z.array(z.unknown()).min(1).max(1000),
});

function idOf(item: unknown, index: number): string {
  const id = (item as { id?: unknown } | null)?.id;

  return typeof id === 'string' && id.length <= 64 ? id : `#${index}`;
}

function sort<T>(items: unknown[], parse: (item: unknown) => T) {
  const valid: T[] = [];
  const rejected: Rejection[] = [];
  items.forEach((item, index) => {
    try {
      valid.push(parse(item));
    } catch (error) {
      const reason = error instanceof ObservationError ? error.message : 'invalid';
      rejected.push({ id: idOf(item, index), reason: reason.slice(0, 512) });
    }
  });

  return { valid, rejected };
}

/**
 * Checks an `up/obs` body's frame, then each reading on its own, so one bad reading is
 * rejected (and listed) while the rest are stored. Returns `undefined` when the frame
 * itself is malformed.
 */
export function sortObservationBatch(body: unknown): SortedBatch<Observation> | undefined {
  const shell = obsShell.safeParse(body);
  if (!shell.success) {
    return undefined;
  }

  const { valid, rejected } = sort(shell.data.observations, parseObservation);

  return { agentId: shell.data.agentId, seq: shell.data.seq, valid, rejected };
}

/** The same for an `up/alarm` body. */
export function sortAlarmBatch(
  body: unknown,
): SortedBatch<AlarmMessage['alarms'][number]> | undefined {
  const shell = alarmShell.safeParse(body);
  if (!shell.success) {
    return undefined;
  }

  const { valid, rejected } = sort(shell.data.alarms, (item) => {
    const r = alarmItemSchema.safeParse(item);
    if (!r.success) {
      throw new ObservationError(
        'INVALID',
        r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      );
    }

    return r.data;
  });

  return { agentId: shell.data.agentId, seq: shell.data.seq, valid, rejected };
}
