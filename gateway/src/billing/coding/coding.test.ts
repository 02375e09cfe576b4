import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { addDays } from './days.js';
import { suggestDeviceSupply } from './device-supply.js';
import type { DeviceDay, MinutesEntry, VisitEnded } from './inputs.js';
import { suggestMonth } from './suggest-month.js';
import { codeVisit, type TelehealthRules } from './telehealth.js';
import { suggestTreatmentManagement } from './treatment-management.js';

const LATER = new Date('2027-06-01T00:00:00Z');

function days(start: string, count: number, deviceId = 'cuff-1', step = 1): DeviceDay[] {
  return Array.from({ length: count }, (_, i) => ({
    day: addDays(start, i * step),
    deviceId,
    readings: 2,
  }));
}

function codes(result: { suggestions: { code: string; units: number }[] }): string[] {
  return result.suggestions.map((s) => (s.units > 1 ? `${s.code}x${s.units}` : s.code)).sort();
}

const episode = { id: 'ep1', patientId: 'p1', start: '2026-03-01', end: '2026-03-30' };

test('15 days in a 2026 period is 99445, 16 days is 99454', () => {
  const fifteen = suggestDeviceSupply({ episode, deviceDays: days('2026-03-01', 15), now: LATER });
  const sixteen = suggestDeviceSupply({ episode, deviceDays: days('2026-03-01', 16), now: LATER });
  assert.equal(codes(fifteen), ['99445', '99453']);
  assert.equal(codes(sixteen), ['99453', '99454']);
  const s = sixteen.suggestions.find((x) => x.code === '99454')!;
  assert.is(s.days!.length, 16);
  assert.is(s.dateOfService, '2026-03-30');
  assert.match(s.explanation, /16 day\(s\).*RPM-SUPPLY-16-30/);
});

test('1 day is nothing, 2 days is 99445 (2026)', () => {
  const one = suggestDeviceSupply({ episode, deviceDays: days('2026-03-05', 1), now: LATER });
  const two = suggestDeviceSupply({ episode, deviceDays: days('2026-03-05', 2), now: LATER });
  assert.equal(codes(one), []);
  assert.match(one.notes[0], /1 day\(s\).*fewer than the 2/);
  assert.equal(codes(two), ['99445', '99453']);
});

test('before 2026 there is no 99445: 15 days bill nothing, 16 days bill 99454', () => {
  const ep = { id: 'ep0', patientId: 'p1', start: '2025-06-01', end: '2025-06-30' };
  assert.equal(
    codes(suggestDeviceSupply({ episode: ep, deviceDays: days('2025-06-01', 15), now: LATER })),
    [],
  );
  assert.equal(
    codes(suggestDeviceSupply({ episode: ep, deviceDays: days('2025-06-01', 16), now: LATER })),
    ['99453', '99454'],
  );
});

test('two devices on one day count one day; a device swap continues the count', () => {
  const both = [...days('2026-03-01', 10, 'cuff-1'), ...days('2026-03-01', 10, 'oxi-1')];
  const r = suggestDeviceSupply({ episode, deviceDays: both, now: LATER });
  const supply = r.suggestions.find((s) => s.code === '99445')!;
  assert.is(supply.days!.length, 10);
  assert.equal(supply.devices, ['cuff-1', 'oxi-1']);

  const swap = [...days('2026-03-01', 8, 'cuff-1'), ...days('2026-03-09', 8, 'cuff-2')];
  const s = suggestDeviceSupply({ episode, deviceDays: swap, now: LATER });
  assert.equal(codes(s), ['99453', '99454'], 'one 99454 for the period, not one per device');
  assert.match(s.suggestions[0].explanation, /2 devices/);
});

test('30-day periods cross month boundaries and 99453 is billed once per episode', () => {
  const ep = { id: 'ep2', patientId: 'p1', start: '2026-01-20' };
  // period 1: Jan 20 - Feb 18, period 2: Feb 19 - Mar 20
  const data = [...days('2026-01-20', 20), ...days('2026-02-19', 5)];
  const r = suggestDeviceSupply({ episode: ep, deviceDays: data, now: LATER });
  const supply = r.suggestions.filter((s) => s.code !== '99453');
  assert.equal(
    supply.map((s) => [s.code, s.period.from, s.period.to]),
    [
      ['99454', '2026-01-20', '2026-02-18'],
      ['99445', '2026-02-19', '2026-03-20'],
    ],
  );
  assert.is(r.suggestions.filter((s) => s.code === '99453').length, 1);
});

test('a period still open at the clock is provisional', () => {
  const ep = { id: 'ep3', patientId: 'p1', start: '2026-03-01' };
  const r = suggestDeviceSupply({
    episode: ep,
    deviceDays: days('2026-03-01', 16),
    now: new Date('2026-03-20T12:00:00Z'),
  });
  assert.is(r.suggestions[0].status, 'provisional');
  assert.is(r.suggestions.length, 2, 'no period after the clock');
});

test("what is still open is judged on the practice's own day, not UTC's", () => {
  // 23:30 on 31 March in New York is already 1 April in UTC.
  const now = new Date('2026-04-01T03:30:00Z');
  const ep = { id: 'ep4', patientId: 'p1', start: '2026-03-02' };
  const supply = (timeZone?: string) =>
    suggestDeviceSupply({ episode: ep, deviceDays: days('2026-03-02', 16), now, timeZone })
      .suggestions[0]?.status;
  const minutes = (timeZone?: string) =>
    suggestTreatmentManagement({
      patientId: 'p1',
      month: '2026-03',
      entries: [entry(25, '2026-03-03')],
      now,
      timeZone,
    }).suggestions[0]?.status;

  assert.is(supply('America/New_York'), 'provisional', 'the period ends today in New York');
  assert.is(supply(), 'ready');
  assert.is(minutes('America/New_York'), 'provisional', 'March is not over in New York');
  assert.is(minutes('UTC'), 'ready');
});

function entry(minutes: number, day: string, extra: Partial<MinutesEntry> = {}): MinutesEntry {
  return {
    id: `m-${day}-${minutes}-${extra.kind ?? 'audio'}`,
    patientId: 'p1',
    clinicianId: 'c1',
    occurredAt: `${day}T15:00:00Z`,
    day,
    minutes,
    kind: 'audio',
    interactionEvidence: 'call-1',
    ...extra,
  };
}

function tm(entries: MinutesEntry[], month = '2026-03') {
  return suggestTreatmentManagement({ patientId: 'p1', month, entries, now: LATER });
}

test('9 min is nothing, 10 min is 99470, 19 min is 99470, 20 min is 99457', () => {
  assert.equal(codes(tm([entry(9, '2026-03-03')])), []);
  assert.equal(codes(tm([entry(10, '2026-03-03')])), ['99470']);
  assert.equal(codes(tm([entry(12, '2026-03-03'), entry(7, '2026-03-20')])), ['99470']);
  assert.equal(codes(tm([entry(20, '2026-03-03')])), ['99457']);
});

test('40 min is 99457 + 99458, 59 is still one 99458, 60 is two; 99470 never stacks', () => {
  assert.equal(codes(tm([entry(25, '2026-03-03'), entry(15, '2026-03-04')])), ['99457', '99458']);
  assert.equal(codes(tm([entry(59, '2026-03-03')])), ['99457', '99458']);
  assert.equal(codes(tm([entry(60, '2026-03-03')])), ['99457', '99458x2']);
  for (const m of [10, 19, 20, 40, 80]) {
    const c = codes(tm([entry(m, '2026-03-03')]));
    assert.ok(
      !(c.includes('99470') && c.some((x) => x.startsWith('9945'))),
      `${m} min: ${c.join(',')}`,
    );
  }
});

test('before 2026: 19 min is nothing, 20 min is 99457', () => {
  assert.equal(codes(tm([entry(19, '2025-03-03')], '2025-03')), []);
  assert.equal(codes(tm([entry(20, '2025-03-03')], '2025-03')), ['99457']);
});

test('no real-time interaction means no code; E/M-billed visit time is left out', () => {
  const quiet = tm([entry(30, '2026-03-03', { kind: 'message', interactionEvidence: undefined })]);
  assert.equal(codes(quiet), []);
  assert.match(quiet.notes[0], /no real-time interaction/);

  // a payer that takes a two-way message exchange as the interaction
  const r = suggestTreatmentManagement({
    patientId: 'p1',
    month: '2026-03',
    now: LATER,
    messages: 'count-as-interaction',
    entries: [
      entry(25, '2026-03-03', { kind: 'video', visitId: 'v1', billedSeparately: true }),
      entry(12, '2026-03-10', { kind: 'message', interactionEvidence: 'thread-9' }),
    ],
  });
  assert.equal(codes(r), ['99470']);
  assert.match(r.notes[0], /25 min .* billed as their own service/);
});

test('month boundaries: minutes on the last day of a month do not count in the next', () => {
  const entries = [entry(15, '2026-03-31'), entry(15, '2026-04-01')];
  assert.equal(codes(tm(entries, '2026-03')), ['99470']);
  assert.equal(codes(tm(entries, '2026-04')), ['99470']);
  const m = tm(entries, '2026-03').suggestions[0];
  assert.equal(m.period, { from: '2026-03-01', to: '2026-03-31' });
  assert.match(m.explanation, /15 min of treatment management in 2026-03/);
});

test('a payer cap on 99458 units is applied and noted', () => {
  const r = suggestTreatmentManagement({
    patientId: 'p1',
    month: '2026-03',
    entries: [entry(100, '2026-03-03')],
    now: LATER,
    max99458Units: 2,
  });
  assert.equal(codes(r), ['99457', '99458x2']);
  assert.match(r.notes.join(' '), /capped at 2/);
});

const medicare: TelehealthRules = {
  codeSet: 'office-em',
  posHome: '10',
  posOther: '02',
  videoModifier: '95',
  audioOnlyModifier: '93',
  audioOnlyAllowed: true,
};

function visit(extra: Partial<VisitEnded> = {}): VisitEnded {
  return {
    visitId: 'v1',
    patientId: 'p1',
    clinicianId: 'c1',
    startedAt: '2026-03-05T14:00:00Z',
    endedAt: '2026-03-05T14:25:00Z',
    durationMinutes: 25,
    video: true,
    patientLocation: 'home',
    newPatient: false,
    ...extra,
  };
}

test('video visits: POS 10 at home, 02 elsewhere, 95 for video, 93 for audio-only', () => {
  const home = codeVisit(visit(), medicare).suggestions[0];
  assert.equal([home.code, home.placeOfService, home.modifiers], ['99213', '10', ['95']]);
  const away = codeVisit(visit({ patientLocation: 'other', durationMinutes: 41 }), medicare);
  assert.equal([away.suggestions[0].code, away.suggestions[0].placeOfService], ['99215', '02']);
  const audio = codeVisit(visit({ video: false }), medicare).suggestions[0];
  assert.equal(audio.modifiers, ['93']);
  const tele = codeVisit(visit({ video: false }), { ...medicare, codeSet: 'telemedicine' });
  assert.is(tele.suggestions[0].code, '98013');
  const none = codeVisit(visit({ video: false }), { ...medicare, audioOnlyAllowed: false });
  assert.equal(none.suggestions, []);
  assert.equal(codeVisit(visit({ durationMinutes: 9 }), medicare).suggestions, []);
});

test('suggestMonth bills each 30-day period in the month it closes, plus TM and visits', () => {
  const r = suggestMonth({
    patientId: 'p1',
    month: '2026-02',
    episodes: [{ id: 'ep2', patientId: 'p1', start: '2026-01-20' }],
    deviceDays: days('2026-01-20', 20),
    entries: [entry(22, '2026-02-10')],
    visits: [visit({ startedAt: '2026-02-11T10:00:00Z' })],
    telehealth: medicare,
    now: LATER,
  });
  assert.equal(codes(r), ['99213', '99453', '99454', '99457']);
});

test('two overlapping episodes never bill two supply codes for the same days', () => {
  const input = {
    patientId: 'p1',
    month: '2026-03',
    episodes: [
      { id: 'a', patientId: 'p1', start: '2026-03-01' },
      { id: 'b', patientId: 'p1', start: '2026-03-10' },
    ],
    deviceDays: days('2026-03-01', 31),
    entries: [],
    visits: [],
    telehealth: medicare,
    now: LATER,
  };
  const r = suggestMonth(input);
  assert.equal(
    r.suggestions.filter((s) => s.code === '99454').map((s) => s.period.from),
    ['2026-03-01'],
  );
  const april = suggestMonth({ ...input, month: '2026-04' });
  assert.equal(
    april.suggestions.filter((s) => s.code === '99454'),
    [],
    'Mar 10 - Apr 8 overlaps',
  );
  assert.match(april.notes.join(' '), /dropped: overlaps the period billed with 99454/);
});

test.run();
