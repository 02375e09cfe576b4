import { join } from 'node:path';

import { openJson } from '@sparkden/protocol';
import Sqlite from 'better-sqlite3';

import { loadQueueKey } from '../queue/queue-key.js';
import { STATE_FILES, loadCredentials } from '../state-dir.js';

// Test scaffolding: reads an agent's queue file from the outside, read-only, with the agent's
// own at-rest key, to check what the queue holds and that every record still opens.

/** One queued record as a test sees it. */
export interface QueueSnapshotRecord {
  id: number;
  kind: 'obs' | 'alarm';
  /** The unsealed items, or `undefined` when the record did not open. */
  items?: Array<{ id: string; value?: number; deviceTime?: string }>;
}

/** What {@link readQueueFile} found. */
export interface QueueSnapshot {
  /** `PRAGMA integrity_check` of the file: `ok` when it is sound. */
  integrity: string;
  records: QueueSnapshotRecord[];
  /** Ids of the readings and alarms of the records that opened. */
  itemIds: Set<string>;
}

/**
 * Opens the queue of the agent whose state dir is `stateDir` read-only (the agent may be
 * running or dead), runs an integrity check and unseals every record with the queue's own
 * at-rest key (`queue-key.json`, as `Agent` loads it).
 */
export function readQueueFile(stateDir: string): QueueSnapshot {
  const { key, recordAgentId } = loadQueueKey(stateDir, loadCredentials(stateDir));
  const db = new Sqlite(join(stateDir, STATE_FILES.queue), { readonly: true, fileMustExist: true });
  try {
    const integrity = String(db.pragma('integrity_check', { simple: true }));
    const rows = db.prepare('select id, kind, frame from record order by id').all() as {
      id: number;
      kind: 'obs' | 'alarm';
      frame: Buffer;
    }[];
    const itemIds = new Set<string>();
    const records = rows.map((row): QueueSnapshotRecord => {
      try {
        const opened = openJson(row.frame, {
          key: () => key,
          agentId: recordAgentId,
          kind: row.kind,
        });
        if (opened.header.seq !== BigInt(row.id) || !Array.isArray(opened.value)) {
          return { id: row.id, kind: row.kind };
        }
        const items = opened.value as NonNullable<QueueSnapshotRecord['items']>;
        for (const item of items) {
          itemIds.add(item.id);
        }

        return { id: row.id, kind: row.kind, items };
      } catch {
        return { id: row.id, kind: row.kind };
      }
    });

    return { integrity, records, itemIds };
  } finally {
    db.close();
  }
}
