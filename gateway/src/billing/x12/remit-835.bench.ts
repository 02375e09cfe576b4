// Parsing a large 835: Spark Den's reader (envelope checks, typed claims, CAS, balancing)
// beside node-x12's generic parser (segments and envelopes only) on the same bytes.
import { X12Parser } from 'node-x12';

import { parse835 } from './remit-835.js';

function bigRemit(claims: number): string {
  const body: string[] = [];
  for (let i = 0; i < claims; i++) {
    const id = `SD-2026-${String(i).padStart(6, '0')}`;
    body.push(
      'LX*1~',
      `CLP*${id}*1*117*76*19*MB*PCN${i}*11*1~`,
      'NM1*QC*1*DOE*JANE****MI*1EG4TE5MK73~',
      'SVC*HC:99454*65*37.6**1~',
      'DTM*472*20260330~',
      'CAS*CO*45*18~',
      'CAS*PR*2*9.4~',
      `REF*6R*${id}-1~`,
      'SVC*HC:99457*52*38.4**1~',
      'DTM*472*20260331~',
      'CAS*CO*45*4~',
      'CAS*PR*2*9.6~',
      `REF*6R*${id}-2~`,
    );
  }
  const total = ((claims * 7600) / 100).toFixed(2);
  const st = [
    'ST*835*0001~',
    `BPR*I*${total}*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20260415~`,
    'TRN*1*EFT1*1512345678~',
    'N1*PR*EXAMPLE~',
    ...body,
  ];
  st.push(`SE*${st.length + 1}*0001~`);

  return [
    'ISA*00*          *00*          *ZZ*PAYER01        *ZZ*SPARKDEN       *260415*0930*^*00501*000000001*0*T*:~',
    'GS*HP*PAYER01*SPARKDEN*20260415*0930*1*X*005010X221A1~',
    ...st,
    'GE*1*1~',
    'IEA*1*000000001~',
  ].join('\n');
}

function time(label: string, runs: number, fn: () => void): number {
  fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) {
    fn();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / runs;
  console.log(`${label.padEnd(34)} ${ms.toFixed(2)} ms per 835`);

  return ms;
}

const text = bigRemit(2000);
console.log(`835 with 2000 claims, ${text.length} bytes`);
const ours = time('sparkden parse835 (typed + checks)', 10, () => parse835(text));
const peer = time('node-x12 X12Parser.parse (strict)', 10, () => new X12Parser(true).parse(text));
console.log(`ratio ours/peer: ${(ours / peer).toFixed(2)} (lower is faster)`);
