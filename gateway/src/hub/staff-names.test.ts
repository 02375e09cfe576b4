import { Writable } from 'node:stream';

import { pino, type Logger } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Caller } from '../access/principal.js';
import type { StoredRow } from '../fhir/repository.js';
import type { Resource } from '../fhir/resource-types.js';
import { createStaffNames } from './staff-names.js';

const NURSE: Caller = {
  sub: 'u-17',
  role: 'nurse',
  units: ['ward-1'],
  scopes: ['user/*.cruds'],
  issuer: 'local',
  practitionerId: 'pr-17',
};

function row(content: Resource, deleted = false): StoredRow {
  return {
    resource_type: content.resourceType,
    id: content.id ?? '',
    version: 1,
    last_updated: '2026-01-05T08:00:00Z',
    deleted,
    content,
    sealed: null,
  };
}

// A repository holding the given Practitioners; `reads` counts lookups.
function repoOf(rows: Record<string, StoredRow | Error>) {
  const reads: string[] = [];
  const repo = {
    current: (type: string, id: string) => {
      reads.push(`${type}/${id}`);
      const found = rows[`${type}/${id}`];

      return found instanceof Error ? Promise.reject(found) : Promise.resolve(found);
    },
    toResource: (r: StoredRow) => r.content as Resource,
  };

  return { repo, reads };
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });

  return { logger: pino({ level: 'debug' }, sink), lines };
}

test("a staff caller is named by their Practitioner's name", async () => {
  const { repo } = repoOf({
    'Practitioner/pr-17': row({
      resourceType: 'Practitioner',
      id: 'pr-17',
      name: [{ prefix: ['Nurse'], given: ['Robin'], family: 'Hale' }],
    }),
  });
  const nameOf = createStaffNames({ repo, logger: capture().logger });

  assert.is(await nameOf(NURSE), 'Nurse Robin Hale');
});

test('a caller with no Practitioner, or a deleted or nameless one, has no name', async () => {
  const { repo, reads } = repoOf({
    'Practitioner/gone': row({ resourceType: 'Practitioner', id: 'gone', name: [] }, true),
    'Practitioner/blank': row({ resourceType: 'Practitioner', id: 'blank' }),
  });
  const nameOf = createStaffNames({ repo, logger: capture().logger });
  const { practitionerId: _none, ...system } = { ...NURSE, role: 'system' as const };

  assert.is(await nameOf(system), undefined);
  assert.equal(reads, [], 'no lookup without a Practitioner');
  assert.is(await nameOf({ ...NURSE, practitionerId: 'gone' }), undefined);
  assert.is(await nameOf({ ...NURSE, practitionerId: 'blank' }), undefined);
  assert.is(await nameOf({ ...NURSE, practitionerId: 'absent' }), undefined);
});

test('a failed lookup names no one, rejects nothing, and warns with the opaque id', async () => {
  const { repo } = repoOf({ 'Practitioner/pr-17': new Error('connection reset') });
  const { logger, lines } = capture();
  const nameOf = createStaffNames({ repo, logger });

  assert.is(await nameOf(NURSE), undefined);
  assert.is(lines.length, 1);
  const line = JSON.parse(lines[0] ?? '{}') as { level: number; practitionerId: string };
  assert.equal([line.level, line.practitionerId], [40, 'pr-17']);
});

test.run();
