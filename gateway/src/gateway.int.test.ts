import { Writable } from 'node:stream';

import { openDatabase } from '@sparkden/alerting';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createGateway } from './gateway.js';
import { startTestGateway } from './testing/harness.js';

test('PGlite: sign-in, write, search and audit work embedded; logs carry request ids and no PHI', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const t = await startTestGateway({ engine: 'pglite', logger });
  try {
    const { access_token } = await t.login('clinician');
    const headers = {
      authorization: `Bearer ${access_token}`,
      'content-type': 'application/fhir+json',
    };
    const patient = {
      resourceType: 'Patient',
      name: [{ family: 'Quixote' }],
      identifier: [{ value: 'MRN-SECRET-9' }],
    };
    const created = await fetch(`${t.url}/fhir/Patient`, {
      method: 'POST',
      headers,
      body: JSON.stringify(patient),
    });
    assert.is(created.status, 201);
    const search = await fetch(`${t.url}/fhir/Patient?name=quix&identifier=MRN-SECRET-9`, {
      headers,
    });
    assert.is(
      ((await search.json()) as { total: number }).total,
      0,
      'a clinician without a care relationship sees nothing',
    );
    // An absent Patient answers as another patient's would: 403, not 404 (no existence leak).
    const denied = await fetch(`${t.url}/fhir/Patient/nope-${'x'.repeat(3)}`, { headers });
    assert.is(denied.status, 403);
    assert.ok((await t.gateway.verifyAuditChain()).ok);

    const log = lines.join('');
    assert.ok(lines.some((l) => /"requestId":"[0-9a-f-]{36}"/.test(l)));
    for (const secret of [
      'Quixote',
      'quix',
      'MRN-SECRET-9',
      'demo-clinician',
      access_token.slice(0, 24),
    ]) {
      assert.not.ok(log.includes(secret), `the log must not contain ${secret}`);
    }
  } finally {
    await t.close();
  }
});

test('createGateway rejects a bad issuer with a TypeError naming the option', async () => {
  const db = await openDatabase();
  try {
    await createGateway({ db, issuer: 'localhost:8080' });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, TypeError);
    assert.match((error as Error).message, /"issuer"/);
  } finally {
    await db.close();
  }
});

test.run();
