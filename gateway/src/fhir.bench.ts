// FHIR read and search throughput and p99 latency of the gateway (auth, ABAC, audit, decrypt,
// search SQL on PostgreSQL) beside bare Hono answering the same bytes from memory, in the same
// process and run, both measured with autocannon at the same concurrency.
import type { AddressInfo } from 'node:net';

import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';

import { startTestGateway, type TestGateway } from './testing/harness.js';

const CONNECTIONS = 16;
const SECONDS = 5;

interface Run {
  rps: number;
  p99: number;
}

async function measure(url: string, headers: Record<string, string>): Promise<Run> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`bench saw ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }

  return { rps: result.requests.average, p99: result.latency.p99 };
}

// The real PostgreSQL server only: a number measured on embedded PGlite is not the gateway's.
async function startGateway(): Promise<TestGateway> {
  try {
    return await startTestGateway();
  } catch (error) {
    throw new Error('fhir.bench needs the PostgreSQL server (SD_TEST_PG); it is unreachable', {
      cause: error,
    });
  }
}

const t = await startGateway();
const { access_token } = await t.login('clinician');
const auth = { authorization: `Bearer ${access_token}`, 'content-type': 'application/fhir+json' };
for (let i = 0; i < 60; i += 1) {
  const at = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
  const body = {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: 'Patient/demo-patient-1' },
    effectiveDateTime: at,
    valueQuantity: {
      value: 60 + (i % 40),
      unit: '/min',
      system: 'http://unitsofmeasure.org',
      code: '/min',
    },
  };
  const res = await fetch(`${t.url}/fhir/Observation`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  });
  if (res.status !== 201) {
    throw new Error(`seeding Observation ${i} answered ${res.status}: ${await res.text()}`);
  }
}
const readPath = '/fhir/Patient/demo-patient-1';
const searchPath =
  '/fhir/Observation?patient=demo-patient-1&code=http://loinc.org|8867-4&date=ge2026-01-01&_count=20';
async function fetchOk(path: string): Promise<string> {
  const res = await fetch(`${t.url}${path}`, { headers: auth });
  if (res.status !== 200) {
    throw new Error(`GET ${path} answered ${res.status}`);
  }

  return res.text();
}
const readBytes = await fetchOk(readPath);
const searchBytes = await fetchOk(searchPath);
if (((JSON.parse(searchBytes) as { entry?: unknown[] }).entry ?? []).length === 0) {
  throw new Error('the search matched none of the seeded Observations');
}

const bare = new Hono();
bare.get('/fhir/Patient/:id', (c) =>
  c.body(readBytes, 200, { 'Content-Type': 'application/fhir+json' }),
);
bare.get('/fhir/Observation', (c) =>
  c.body(searchBytes, 200, { 'Content-Type': 'application/fhir+json' }),
);
const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const s = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
});
const bareUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const rows: string[] = [];
for (const [name, path] of [
  ['read Patient', readPath],
  ['search Observation', searchPath],
] as const) {
  const ours = await measure(`${t.url}${path}`, auth);
  const peer = await measure(`${bareUrl}${path}`, {});
  rows.push(
    `${name.padEnd(20)} gateway ${ours.rps.toFixed(0).padStart(6)} req/s p99 ${String(ours.p99).padStart(4)} ms | ` +
      `bare hono ${peer.rps.toFixed(0).padStart(6)} req/s p99 ${String(peer.p99).padStart(4)} ms | ` +
      `throughput ratio ${(ours.rps / peer.rps).toFixed(3)}, p99 ratio ${(ours.p99 / Math.max(peer.p99, 1)).toFixed(1)}x`,
  );
}
console.log(
  `fhir.bench: ${CONNECTIONS} connections, ${SECONDS} s per run, ${t.db.kind}, one process`,
);
for (const row of rows) {
  console.log(row);
}
server.close();
await t.close();
