import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { addDays } from './days.js';
import { suggestDeviceSupply } from './device-supply.js';
import type { MinutesEntry } from './inputs.js';
import { suggestTreatmentManagement } from './treatment-management.js';

const LATER = new Date('2027-06-01T00:00:00Z');

test('device supply: one code per period, chosen by distinct days, whatever the devices', () => {
  const reading = fc.record({
    offset: fc.integer({ min: 0, max: 29 }),
    device: fc.constantFrom('a', 'b', 'c'),
  });
  fc.assert(
    fc.property(fc.array(reading, { maxLength: 80 }), (rows) => {
      const episode = { id: 'e', patientId: 'p', start: '2026-05-01', end: '2026-05-30' };
      const deviceDays = rows.map((r) => ({
        day: addDays(episode.start, r.offset),
        deviceId: r.device,
        readings: 1,
      }));
      const distinct = new Set(rows.map((r) => r.offset)).size;
      const codes = suggestDeviceSupply({ episode, deviceDays, now: LATER }).suggestions.map(
        (s) => s.code,
      );
      const supply = codes.filter((c) => c !== '99453');
      const expected = distinct >= 16 ? ['99454'] : distinct >= 2 ? ['99445'] : [];
      assert.equal(supply, expected);
      assert.is(codes.includes('99453'), expected.length > 0);
    }),
  );
});

test('treatment management: the codes follow the minutes and never stack 99470', () => {
  const entry = fc.record({
    minutes: fc.integer({ min: 1, max: 45 }),
    day: fc.integer({ min: 1, max: 28 }),
  });
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 8 }), (rows) => {
      const entries: MinutesEntry[] = rows.map((r, i) => {
        const day = `2026-07-${String(r.day).padStart(2, '0')}`;

        return {
          id: `m${i}`,
          patientId: 'p',
          clinicianId: 'c',
          occurredAt: `${day}T10:00:00Z`,
          day,
          minutes: r.minutes,
          kind: 'audio',
          interactionEvidence: 'call',
        };
      });
      const total = rows.reduce((s, r) => s + r.minutes, 0);
      const out = suggestTreatmentManagement({
        patientId: 'p',
        month: '2026-07',
        entries,
        now: LATER,
      }).suggestions;
      const units = (code: string) => out.find((s) => s.code === code)?.units ?? 0;
      assert.is(units('99470'), total >= 10 && total < 20 ? 1 : 0);
      assert.is(units('99457'), total >= 20 ? 1 : 0);
      assert.is(units('99458'), total >= 40 ? Math.floor((total - 20) / 20) : 0);
      assert.ok(!(units('99470') > 0 && units('99457') + units('99458') > 0));
    }),
  );
});

test.run();
