import { X12Parser, type X12Interchange, type X12Segment } from 'node-x12';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { ProfessionalClaim } from '../claim.js';
import { scrubClaim } from '../claim.js';
import { sampleClaimDraft } from '../fixtures/sample-claim.js';
import { buildClaim837P } from './claim-837p.js';

// The loop structure of 005010X222A1, checked on the tree node-x12 parses (which knows
// envelopes and segments, not loops): each segment is put in the loop whose first segment
// it is or follows, by the loop-opening segments the implementation guide names.

interface Loop {
  id: string;
  segments: X12Segment[];
}

const value = (s: X12Segment, n: number) => s.elements[n - 1]?.value ?? '';

// [005010X222A1 loop openers] HL by HL03 level code; NM1 by NM101 entity and where it is.
const HL_LOOP: Record<string, string> = { '20': '2000A', '22': '2000B', '23': '2000C' };
const NM1_LOOP: Record<string, Record<string, string>> = {
  header: { '41': '1000A', '40': '1000B' },
  '2000A': { '85': '2010AA', '87': '2010AB' },
  '2000B': { IL: '2010BA', PR: '2010BB' },
  '2000C': { QC: '2010CA' },
  '2300': { DN: '2310A', '82': '2310B', '77': '2310C' },
  '2400': { '82': '2420A', '77': '2420C' },
};

// Loops whose NM1s open the child loops above; the NM1 loops themselves open none.
const LEVELS = ['2000A', '2000B', '2000C', '2300', '2400'];

/** Splits a parsed 837P transaction (ST and SE aside) into its loops, in order. */
function loopsOf(segments: readonly X12Segment[]): Loop[] {
  const loops: Loop[] = [{ id: 'header', segments: [] }];
  let level = 'header';
  for (const s of segments) {
    let opens: string | undefined;
    if (s.tag === 'HL') {
      opens = HL_LOOP[value(s, 3)] ?? `HL?${value(s, 3)}`;
    } else if (s.tag === 'CLM') {
      opens = '2300';
    } else if (s.tag === 'LX') {
      opens = '2400';
    } else if (s.tag === 'NM1') {
      opens = NM1_LOOP[level]?.[value(s, 1)] ?? `NM1?${value(s, 1)}`;
    }
    if (opens !== undefined) {
      loops.push({ id: opens, segments: [] });
      level = LEVELS.includes(opens) ? opens : level;
    }
    loops[loops.length - 1].segments.push(s);
  }

  return loops;
}

/** Everything wrong with an 837P's loops and HL hierarchy; empty when it is right. */
function loopIssues(x12: string, lineCount: number): { loops: string[]; issues: string[] } {
  const interchange = new X12Parser(true).parse(x12) as X12Interchange;
  const set = interchange.functionalGroups[0].transactions[0];
  const loops = loopsOf(set.segments);
  const issues: string[] = [];
  const tagsOf = (l: Loop) => l.segments.map((s) => s.tag);
  const need = (id: string, tags: string[]) => {
    for (const l of loops.filter((x) => x.id === id)) {
      const have = tagsOf(l);
      const missing = tags.filter((t) => !have.includes(t));
      if (missing.length > 0) {
        issues.push(`${id} lacks ${missing.join(', ')}`);
      }
    }
  };

  // [X222A1 2000A-2010AA-2000B-2010BA-2010BB-2300-2400] the order a claim's loops come in
  const order = ['2000A', '2010AA', '2000B', '2010BA', '2010BB', '2300', '2400'];
  const seen = loops.map((l) => l.id).filter((id) => order.includes(id));
  const firsts = order.map((id) => seen.indexOf(id));
  if (firsts.some((i) => i < 0) || firsts.some((i, k) => k > 0 && i < firsts[k - 1])) {
    issues.push(`loops out of order or missing: ${seen.join(' ')}`);
  }
  need('header', ['BHT']);
  need('2010AA', ['NM1', 'N3', 'N4', 'REF']);
  need('2000B', ['HL', 'SBR']);
  need('2010BA', ['NM1', 'N3', 'N4', 'DMG']);
  need('2300', ['CLM', 'HI']);
  need('2400', ['LX', 'SV1', 'DTP']);
  for (const l of loops.filter((x) => x.id === '2010AA')) {
    if (!l.segments.some((s) => s.tag === 'REF' && value(s, 1) === 'EI')) {
      issues.push('2010AA lacks REF*EI (the billing provider tax id)');
    }
  }

  // [X222A1 HL] HL01 counts up from 1; HL02 names the parent at the level above; HL04 says
  // whether a child follows.
  const hls = set.segments.filter((s) => s.tag === 'HL');
  const levelOf = new Map(hls.map((h) => [value(h, 1), value(h, 3)]));
  const parentLevel: Record<string, string> = { '20': '', '22': '20', '23': '22' };
  hls.forEach((h, i) => {
    const [id, parent, code, child] = [1, 2, 3, 4].map((n) => value(h, n));
    if (id !== String(i + 1)) {
      issues.push(`HL01 ${id} at position ${i + 1}`);
    }
    const expected = parentLevel[code];
    const actual = parent === '' ? '' : levelOf.get(parent);
    if (
      expected === undefined ||
      actual !== expected ||
      (parent !== '' && Number(parent) >= i + 1)
    ) {
      issues.push(`HL ${id} (level ${code}) has parent ${parent || 'none'}`);
    }
    const hasChild = hls.some((x) => value(x, 2) === id);
    if (child !== (hasChild ? '1' : '0')) {
      issues.push(
        `HL ${id} HL04 ${child} but ${hasChild ? 'a child follows' : 'no child follows'}`,
      );
    }
  });

  const count = (tag: string, q?: string) =>
    set.segments.filter((s) => s.tag === tag && (q === undefined || value(s, 1) === q)).length;
  const counts = {
    CLM: count('CLM'),
    LX: count('LX'),
    SV1: count('SV1'),
    DTP472: count('DTP', '472'),
  };
  const expected = { CLM: 1, LX: lineCount, SV1: lineCount, DTP472: lineCount };
  if (JSON.stringify(counts) !== JSON.stringify(expected)) {
    issues.push(`counts ${JSON.stringify(counts)}, expected ${JSON.stringify(expected)}`);
  }
  const lx = set.segments.filter((s) => s.tag === 'LX').map((s) => value(s, 1));
  if (lx.join() !== lx.map((_, i) => String(i + 1)).join()) {
    issues.push(`LX01 ${lx.join()} does not count up from 1`);
  }
  for (const l of loops.filter((x) => x.id === '2400')) {
    const sv1 = tagsOf(l).filter((t) => t === 'SV1').length;
    const dtp = l.segments.filter((s) => s.tag === 'DTP' && value(s, 1) === '472').length;
    if (sv1 !== 1 || dtp !== 1) {
      issues.push(`2400 LX ${value(l.segments[0], 1)} has ${sv1} SV1 and ${dtp} DTP*472`);
    }
  }

  return { loops: loops.map((l) => l.id), issues };
}

function build(draft: ProfessionalClaim): string {
  return buildClaim837P(scrubClaim(draft), {
    submitter: {
      id: 'SPARKDEN',
      name: 'Spark Den',
      contactName: 'Billing Desk',
      phone: '2175550100',
    },
    receiver: { id: 'PAYER01', name: 'Example Clearinghouse' },
    control: { interchange: 7, group: 7 },
    usage: 'T',
    now: new Date('2026-04-02T09:30:00Z'),
  });
}

test('837P loops: 1000A/B, 2000A, 2010AA, 2000B, 2010BA, 2010BB, 2300, 2310B, one 2400 per line', () => {
  const draft = sampleClaimDraft();
  const { loops, issues } = loopIssues(build(draft), draft.lines.length);
  assert.equal(issues, []);
  assert.equal(loops, [
    'header',
    '1000A',
    '1000B',
    '2000A',
    '2010AA',
    '2000B',
    '2010BA',
    '2010BB',
    '2300',
    '2310B',
    '2400',
    '2400',
  ]);
});

test('837P loops: a patient who is not the subscriber has 2000C under 2000B', () => {
  const draft = sampleClaimDraft();
  draft.patient = {
    ...draft.subscriber,
    firstName: 'Sam',
    birthDate: '2012-05-01',
    sex: 'M',
    relationship: '19',
  };
  draft.lines.push({
    ...draft.lines[0],
    code: '99458',
    chargeCents: 4200,
    dateOfService: '2026-03-31',
  });
  const { loops, issues } = loopIssues(build(draft), 3);
  assert.equal(issues, []);
  const claimLoops = loops.slice(loops.indexOf('2000B'));
  assert.equal(claimLoops.slice(0, 6), ['2000B', '2010BA', '2010BB', '2000C', '2010CA', '2300']);
  assert.is(loops.filter((l) => l === '2400').length, 3);
});

test('the loop check fails on a broken hierarchy, a lost line date or loops out of order', () => {
  const x12 = build(sampleClaimDraft());
  const orphan = x12.replace('HL*2*1*22*0~', 'HL*2*2*22*0~');
  assert.ok(loopIssues(orphan, 2).issues.some((i) => i.startsWith('HL 2 (level 22) has parent 2')));
  const childless = x12.replace('HL*1**20*1~', 'HL*1**20*0~');
  assert.ok(loopIssues(childless, 2).issues.some((i) => /HL 1 HL04 0 but a child follows/.test(i)));
  const noDate = x12
    .replace(/DTP\*472\*D8\*20260331~\n?/, '')
    .replace(/SE\*(\d+)\*/, (_, n: string) => `SE*${Number(n) - 1}*`);
  assert.ok(
    loopIssues(noDate, 2).issues.some((i) => i.startsWith('counts')),
    'one DTP*472 short',
  );
  assert.ok(
    loopIssues(x12, 3).issues.some((i) => i.startsWith('counts')),
    'a line short',
  );
});

test.run();
