// FHIR reads and searches at a steady arrival rate, with thresholds a release must meet.
// Run: k6 run -e HUB=https://hub -e TOKEN=… load-tests/k6/fhir.ts   (k6 ≥ 0.52 runs .ts)
import http from 'k6/http';
import { check } from 'k6';
import type { Options } from 'k6/options';

import { HUB, accessToken } from './common.ts';

export const options: Options = {
  scenarios: {
    reads: {
      executor: 'constant-arrival-rate',
      rate: 200,
      timeUnit: '1s',
      duration: '2m',
      preAllocatedVUs: 50,
      exec: 'read',
    },
    searches: {
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1s',
      duration: '2m',
      preAllocatedVUs: 50,
      exec: 'search',
    },
  },
  thresholds: {
    'http_req_failed{scenario:reads}': ['rate<0.001'],
    'http_req_duration{scenario:reads}': ['p(99)<150'],
    'http_req_duration{scenario:searches}': ['p(99)<400'],
  },
};

interface Setup {
  token: string;
  patients: string[];
}

export function setup(): Setup {
  const token = accessToken();
  const res = http.get(`${HUB}/fhir/Patient?_count=50&_elements=id`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const bundle = res.json() as { entry?: Array<{ resource: { id: string } }> };

  return { token, patients: (bundle.entry ?? []).map((e) => e.resource.id) };
}

function pick(list: string[]): string {
  return list[Math.floor(Math.random() * list.length)] ?? 'unknown';
}

export function read(data: Setup): void {
  const res = http.get(`${HUB}/fhir/Patient/${pick(data.patients)}`, {
    headers: { Authorization: `Bearer ${data.token}`, Accept: 'application/fhir+json' },
    tags: { name: 'Patient/:id' },
  });
  check(res, { 'read 200': (r) => r.status === 200 });
}

export function search(data: Setup): void {
  const patient = pick(data.patients);
  const res = http.get(
    `${HUB}/fhir/Observation?patient=${patient}&category=vital-signs&date=ge2026-01-01&_count=100`,
    { headers: { Authorization: `Bearer ${data.token}` }, tags: { name: 'Observation?patient' } },
  );
  check(res, { 'search 200': (r) => r.status === 200, 'is a bundle': (r) => r.body !== null });
}
