import {
  claimTotalCents,
  type ClaimAddress,
  type ClaimPerson,
  type ProfessionalClaim,
} from '../claim.js';
import { writeInterchange, type ControlNumbers } from './envelope.js';
import { toX12Amount, toX12Text, type SegmentSpec } from './segment.js';

/** The party sending claims (loop 1000A) and the one receiving them (1000B). */
export interface SubmissionParties {
  submitter: { id: string; name: string; contactName: string; phone: string };
  receiver: { id: string; name: string };
}

/** Options of {@link buildClaim837P}. */
export interface Claim837POptions extends SubmissionParties {
  control: ControlNumbers;
  usage: 'P' | 'T';
  now: Date;
}

/** The implementation guide the 837P follows. */
export const X222A1 = '005010X222A1';

function ymd(day: string): string {
  return day.replaceAll('-', '');
}

function addressSegments(a: ClaimAddress): SegmentSpec[] {
  return [
    {
      id: 'N3',
      elements: [
        toX12Text(a.line1, 55),
        a.line2 === undefined ? undefined : toX12Text(a.line2, 55),
      ],
    },
    { id: 'N4', elements: [toX12Text(a.city, 30), a.state, a.postalCode] },
  ];
}

function personSegments(code: string, p: ClaimPerson, id?: string): SegmentSpec[] {
  return [
    {
      id: 'NM1',
      elements: [
        code,
        '1',
        toX12Text(p.lastName),
        toX12Text(p.firstName, 35),
        undefined,
        undefined,
        undefined,
        id === undefined ? undefined : 'MI',
        id,
      ],
    },
    ...addressSegments(p.address),
    { id: 'DMG', elements: ['D8', ymd(p.birthDate), p.sex] },
  ];
}

function serviceLines(claim: ProfessionalClaim): SegmentSpec[] {
  return claim.lines.flatMap((line, i) => [
    { id: 'LX', elements: [String(i + 1)] },
    {
      // [X12 837P 2400 SV1: procedure composite, charge, UN units, POS only when it differs from CLM05-1, pointers]
      id: 'SV1',
      elements: [
        ['HC', line.code, ...line.modifiers],
        toX12Amount(line.chargeCents),
        'UN',
        String(line.units),
        line.placeOfService !== undefined && line.placeOfService !== claim.placeOfService
          ? line.placeOfService
          : undefined,
        undefined,
        line.diagnosisPointers.map(String),
      ],
    },
    { id: 'DTP', elements: ['472', 'D8', ymd(line.dateOfService)] },
    { id: 'REF', elements: ['6R', `${claim.id}-${i + 1}`] },
  ]);
}

function subscriberLoops(claim: ProfessionalClaim): SegmentSpec[] {
  const self = claim.patient === undefined;
  const segs: SegmentSpec[] = [
    // [X12 837P 2000B HL04: 0 when the subscriber is the patient, 1 when a 2000C follows]
    { id: 'HL', elements: ['2', '1', '22', self ? '0' : '1'] },
    {
      id: 'SBR',
      elements: [
        'P',
        self ? '18' : undefined,
        claim.subscriber.groupNumber,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        claim.payer.claimFilingIndicator,
      ],
    },
    ...personSegments('IL', claim.subscriber, claim.subscriber.memberId),
    {
      id: 'NM1',
      elements: [
        'PR',
        '2',
        toX12Text(claim.payer.name),
        undefined,
        undefined,
        undefined,
        undefined,
        'PI',
        claim.payer.payerId,
      ],
    },
  ];
  if (claim.patient !== undefined) {
    segs.push(
      { id: 'HL', elements: ['3', '2', '23', '0'] },
      { id: 'PAT', elements: [claim.patient.relationship] },
      ...personSegments('QC', claim.patient).map((s) =>
        // [X12 837P 2010CA NM1: no member id on the patient loop]
        s.id === 'NM1' ? { ...s, elements: s.elements.slice(0, 4) } : s,
      ),
    );
  }

  return segs;
}

/**
 * Builds an X12 005010X222A1 837P interchange for one scrubbed claim: ISA/GS/ST envelopes
 * with the given control numbers, submitter and receiver, billing provider (2000A), subscriber
 * and payer (2000B), patient (2000C, when not the subscriber), the claim (2300) with its
 * diagnoses, the rendering provider (2310B) and one 2400 loop per service line.
 *
 * @example
 * ```ts
 * const claim = scrubClaim(draft);
 * const x12 = buildClaim837P(claim, { submitter, receiver, usage: 'P',
 *   control: await store.nextControlNumbers(), now: clock() });
 * ```
 */
export function buildClaim837P(claim: ProfessionalClaim, options: Claim837POptions): string {
  const bp = claim.billingProvider;
  const time = options.now.toISOString();

  const body: SegmentSpec[] = [
    {
      id: 'BHT',
      elements: [
        '0019',
        '00',
        claim.id,
        ymd(time.slice(0, 10)),
        time.slice(11, 16).replace(':', ''),
        'CH',
      ],
    },
    {
      id: 'NM1',
      elements: [
        '41',
        '2',
        toX12Text(options.submitter.name),
        undefined,
        undefined,
        undefined,
        undefined,
        '46',
        options.submitter.id,
      ],
    },
    {
      id: 'PER',
      elements: [
        'IC',
        toX12Text(options.submitter.contactName),
        'TE',
        options.submitter.phone.replace(/\D/g, ''),
      ],
    },
    {
      id: 'NM1',
      elements: [
        '40',
        '2',
        toX12Text(options.receiver.name),
        undefined,
        undefined,
        undefined,
        undefined,
        '46',
        options.receiver.id,
      ],
    },
    { id: 'HL', elements: ['1', undefined, '20', '1'] },
    ...(bp.taxonomy === undefined ? [] : [{ id: 'PRV', elements: ['BI', 'PXC', bp.taxonomy] }]),
    {
      id: 'NM1',
      elements: [
        '85',
        '2',
        toX12Text(bp.name),
        undefined,
        undefined,
        undefined,
        undefined,
        'XX',
        bp.npi,
      ],
    },
    ...addressSegments(bp.address),
    { id: 'REF', elements: ['EI', bp.taxId] },
    ...subscriberLoops(claim),
    {
      // [X12 837P 2300 CLM05: POS : B (professional) : frequency 1 original]
      id: 'CLM',
      elements: [
        claim.id,
        toX12Amount(claimTotalCents(claim)),
        undefined,
        undefined,
        [claim.placeOfService, 'B', '1'],
        'Y',
        'A',
        'Y',
        'Y',
      ],
    },
    // [X12 837P 2300 HI: ABK principal, ABF other diagnoses, codes without the decimal point]
    {
      id: 'HI',
      elements: claim.diagnoses.map((dx, i) => [i === 0 ? 'ABK' : 'ABF', dx.replace('.', '')]),
    },
    ...(claim.renderingProvider === undefined || claim.renderingProvider.npi === bp.npi
      ? []
      : [
          {
            id: 'NM1',
            elements: [
              '82',
              '1',
              toX12Text(claim.renderingProvider.lastName),
              toX12Text(claim.renderingProvider.firstName, 35),
              undefined,
              undefined,
              undefined,
              'XX',
              claim.renderingProvider.npi,
            ],
          },
        ]),
    ...serviceLines(claim),
  ];

  return writeInterchange({
    senderId: options.submitter.id,
    receiverId: options.receiver.id,
    usage: options.usage,
    control: options.control,
    functionalId: 'HC',
    version: X222A1,
    transactionCode: '837',
    body,
    now: options.now,
  });
}
