import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { addDays } from './days.js';
import type { DeviceDay } from './inputs.js';
import { suggestMonth, type SuggestMonthInput } from './suggest-month.js';
import type { TelehealthRules } from './telehealth.js';

const medicare: TelehealthRules = {
  codeSet: 'office-em',
  posHome: '10',
  posOther: '02',
  videoModifier: '95',
  audioOnlyModifier: '93',
  audioOnlyAllowed: true,
};
const everyDay = (start: string, count: number): DeviceDay[] =>
  Array.from({ length: count }, (_, i) => ({
    day: addDays(start, i),
    deviceId: 'cuff-1',
    readings: 1,
  }));

const overlapping: SuggestMonthInput = {
  patientId: 'p1',
  month: '2026-03',
  episodes: [
    { id: 'a', patientId: 'p1', start: '2026-03-01' },
    { id: 'b', patientId: 'p1', start: '2026-03-10' },
  ],
  deviceDays: everyDay('2026-03-01', 70),
  entries: [],
  visits: [],
  telehealth: medicare,
  now: new Date('2027-06-01T00:00:00Z'),
};
const setups = (input: SuggestMonthInput) =>
  suggestMonth(input).suggestions.filter((s) => s.code === '99453');

test('an overlapping second episode yields no second 99453 while the first is billing', () => {
  assert.equal(
    setups(overlapping).map((s) => s.period.from),
    ['2026-03-01'],
    'the first episode sets up once, in March',
  );
  const april = suggestMonth({ ...overlapping, month: '2026-04' });
  assert.equal(
    april.suggestions.filter((s) => s.code === '99453'),
    [],
    'episode b began while a was billing: its period Mar 10 - Apr 8 was dropped, so is its 99453',
  );
  assert.match(april.notes.join(' '), /99453 for 2026-03-10 to 2026-04-08 dropped/);
});

test('an episode that starts after the first one ended sets up again', () => {
  const input: SuggestMonthInput = {
    ...overlapping,
    month: '2026-05',
    episodes: [
      { id: 'a', patientId: 'p1', start: '2026-03-01', end: '2026-03-30' },
      { id: 'b', patientId: 'p1', start: '2026-04-20' },
    ],
    deviceDays: [...everyDay('2026-03-01', 30), ...everyDay('2026-04-20', 30)],
  };
  assert.equal(
    setups(input).map((s) => s.period.from),
    ['2026-04-20'],
  );
});

test.run();
