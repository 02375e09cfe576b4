import { X12Error } from '../errors.js';
import { SegmentCursor, amountCents, dayElement, optionalElement, required } from './cursor.js';
import { writeInterchange, type ControlNumbers } from './envelope.js';
import { readInterchange, singleTransactionSet } from './reader.js';
import { toX12Text, type SegmentSpec, type X12Segment } from './segment.js';

/** The implementation guide of 270/271. */
export const X279A1 = '005010X279A1';

/** Options of {@link build270}. */
export interface EligibilityRequest {
  /** Our trace number (TRN02), echoed in the 271. */
  traceNumber: string;
  /** TRN03: `9` + our submitter id, ten characters. */
  originatorId: string;
  payer: { payerId: string; name: string };
  provider: { npi: string; name: string };
  subscriber: {
    memberId: string;
    lastName: string;
    firstName: string;
    birthDate: string;
    sex: 'M' | 'F' | 'U';
  };
  /** Day the coverage is asked about, `YYYY-MM-DD`. */
  serviceDate: string;
  /** EQ01 service type codes (default `30`, health benefit plan coverage). */
  serviceTypes?: string[];
  senderId: string;
  receiverId: string;
  control: ControlNumbers;
  usage: 'P' | 'T';
  now: Date;
}

const ymd = (day: string) => day.replaceAll('-', '');

/**
 * Builds a 270 eligibility inquiry (005010X279A1) for one subscriber: information source
 * (payer), receiver (provider, by NPI), subscriber with trace, demographics, date and the
 * service types asked about.
 *
 * @example
 * ```ts
 * const x12 = build270({ traceNumber: 'E1', originatorId: '9SPARKDEN0', payer, provider,
 *   subscriber, serviceDate: '2026-03-01', senderId, receiverId, control, usage: 'T', now });
 * ```
 */
export function build270(req: EligibilityRequest): string {
  if (!/^[A-Za-z0-9]{1,50}$/.test(req.traceNumber)) {
    throw new TypeError('"traceNumber" must be 1-50 letters or digits');
  }

  const time = req.now.toISOString();
  const s = req.subscriber;
  const body: SegmentSpec[] = [
    {
      id: 'BHT',
      elements: [
        '0022',
        '13',
        req.traceNumber,
        ymd(time.slice(0, 10)),
        time.slice(11, 16).replace(':', ''),
      ],
    },
    { id: 'HL', elements: ['1', undefined, '20', '1'] },
    {
      id: 'NM1',
      elements: [
        'PR',
        '2',
        toX12Text(req.payer.name),
        undefined,
        undefined,
        undefined,
        undefined,
        'PI',
        req.payer.payerId,
      ],
    },
    { id: 'HL', elements: ['2', '1', '21', '1'] },
    {
      id: 'NM1',
      elements: [
        '1P',
        '2',
        toX12Text(req.provider.name),
        undefined,
        undefined,
        undefined,
        undefined,
        'XX',
        req.provider.npi,
      ],
    },
    { id: 'HL', elements: ['3', '2', '22', '0'] },
    { id: 'TRN', elements: ['1', req.traceNumber, req.originatorId] },
    {
      id: 'NM1',
      elements: [
        'IL',
        '1',
        toX12Text(s.lastName),
        toX12Text(s.firstName, 35),
        undefined,
        undefined,
        undefined,
        'MI',
        s.memberId,
      ],
    },
    { id: 'DMG', elements: ['D8', ymd(s.birthDate), s.sex] },
    { id: 'DTP', elements: ['291', 'D8', ymd(req.serviceDate)] },
    ...(req.serviceTypes ?? ['30']).map((t) => ({ id: 'EQ', elements: [t] })),
  ];

  return writeInterchange({
    senderId: req.senderId,
    receiverId: req.receiverId,
    usage: req.usage,
    control: req.control,
    functionalId: 'HS',
    version: X279A1,
    transactionCode: '270',
    body,
    now: req.now,
  });
}

/** One EB benefit of a 271. */
export interface Benefit {
  /** EB01: 1 active coverage, 6 inactive, A co-insurance, B co-payment, C deductible, G out-of-pocket… */
  info: string;
  coverageLevel?: string;
  serviceTypes: string[];
  insuranceType?: string;
  planName?: string;
  timePeriod?: string;
  amountCents?: number;
  percent?: number;
  inNetwork?: boolean;
  messages: string[];
}

/** A request the payer rejected (AAA): the loop, the reason and what to do. */
export interface EligibilityRejection {
  /** The HL level: 20 payer, 21 provider, 22 subscriber, 23 dependent. */
  level: string;
  /** AAA03, e.g. 72 invalid member id, 75 subscriber not found, 42 unable to respond now. */
  reason: string;
  /** AAA04: C correct and resubmit, N do not resubmit, R resubmit, Y resubmit later. */
  followUp?: string;
  segmentIndex: number;
}

/** A parsed 271 eligibility response. */
export interface EligibilityResponse {
  traceNumber?: string;
  payer: { payerId?: string; name?: string };
  providerNpi?: string;
  subscriber: {
    memberId?: string;
    lastName?: string;
    firstName?: string;
    birthDate?: string;
    groupNumber?: string;
  };
  /** True when an EB*1 (active coverage) is present and no EB*6 (inactive) overrides it. */
  active: boolean;
  planBegin?: string;
  planEnd?: string;
  benefits: Benefit[];
  rejections: EligibilityRejection[];
}

function readDates(seg: X12Segment): { from: string; to?: string } {
  const format = required(seg, 2);
  if (format === 'D8') {
    return { from: dayElement(seg, 3) };
  }
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{4})(\d{2})(\d{2})$/.exec(required(seg, 3));
  if (format !== 'RD8' || m === null) {
    throw new X12Error(
      'BAD_ELEMENT',
      { segmentId: 'DTP', segmentIndex: seg.index, element: 3 },
      'not a D8 or RD8 date',
    );
  }

  return { from: `${m[1]}-${m[2]}-${m[3]}`, to: `${m[4]}-${m[5]}-${m[6]}` };
}

/**
 * Parses a 271 eligibility response (005010X279A1): payer, provider, subscriber, plan
 * dates, each EB benefit and any AAA rejection. Errors name the segment and element.
 *
 * @example
 * ```ts
 * const answer = parse271(text);
 * if (!answer.active) worklist.add(...);
 * ```
 */
export function parse271(text: string): EligibilityResponse {
  const interchange = readInterchange(text);
  const set = singleTransactionSet(interchange, '271');

  const c = new SegmentCursor(set.segments, interchange.delimiters);
  c.expect('BHT');
  const out: EligibilityResponse = {
    payer: {},
    subscriber: {},
    active: false,
    benefits: [],
    rejections: [],
  };
  let level = '';
  let benefit: Benefit | undefined;
  while (c.peek() !== undefined) {
    const seg = c.next()!;
    switch (seg.id) {
      case 'HL':
        level = required(seg, 3);
        benefit = undefined;
        break;
      case 'NM1':
        if (benefit !== undefined) {
          break;
        }
        if (seg.elements[1] === 'PR') {
          out.payer = { name: optionalElement(seg, 3), payerId: optionalElement(seg, 9) };
        } else if (seg.elements[1] === '1P') {
          out.providerNpi = optionalElement(seg, 9);
        } else if (seg.elements[1] === 'IL') {
          out.subscriber.lastName = optionalElement(seg, 3);
          out.subscriber.firstName = optionalElement(seg, 4);
          out.subscriber.memberId = optionalElement(seg, 9);
        }
        break;
      case 'TRN':
        // [X12 271 2100C TRN: TRN01 2 echoes the trace of the 270]
        if (seg.elements[1] === '2' && out.traceNumber === undefined) {
          out.traceNumber = required(seg, 2);
        }
        break;
      case 'DMG':
        out.subscriber.birthDate = dayElement(seg, 2);
        break;
      case 'REF':
        if (seg.elements[1] === '6P' && benefit === undefined) {
          out.subscriber.groupNumber = optionalElement(seg, 2);
        }
        break;
      case 'AAA':
        out.rejections.push({
          level,
          reason: required(seg, 3),
          followUp: optionalElement(seg, 4),
          segmentIndex: seg.index,
        });
        break;
      case 'DTP': {
        const q = required(seg, 1);
        const dates = readDates(seg);
        if (benefit === undefined && (q === '346' || q === '291' || q === '307')) {
          out.planBegin = dates.from;
          out.planEnd = dates.to ?? out.planEnd;
        } else if (benefit === undefined && q === '347') {
          out.planEnd = dates.from;
        }
        break;
      }
      case 'EB': {
        const percent = optionalElement(seg, 8);
        const inNet = optionalElement(seg, 12);
        benefit = {
          info: required(seg, 1),
          coverageLevel: optionalElement(seg, 2),
          serviceTypes: (optionalElement(seg, 3) ?? '')
            .split(interchange.delimiters.repetition)
            .filter((x) => x !== ''),
          insuranceType: optionalElement(seg, 4),
          planName: optionalElement(seg, 5),
          timePeriod: optionalElement(seg, 6),
          amountCents: optionalElement(seg, 7) === undefined ? undefined : amountCents(seg, 7),
          percent: percent === undefined ? undefined : Number(percent),
          inNetwork: inNet === undefined ? undefined : inNet === 'Y',
          messages: [],
        };
        out.benefits.push(benefit);
        break;
      }
      case 'MSG':
        benefit?.messages.push(required(seg, 1));
        break;
      default:
        break;
    }
  }
  const infos = out.benefits.map((b) => b.info);
  out.active = infos.includes('1') && !infos.includes('6');

  return out;
}
