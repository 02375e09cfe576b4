import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// A patient's contacts (relatives, with their names, phones and addresses) and photos are
// identifying: they are sealed at rest like names, and rows a hub stored before they were
// (in clear) are sealed at the next start. On PostgreSQL and on PGlite, the embedded default.

const PATIENT = {
  resourceType: 'Patient',
  name: [{ family: 'Okafor', given: ['Ada'] }],
  photo: [{ contentType: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUg==' }],
  contact: [
    {
      relationship: [{ text: 'daughter' }],
      name: { family: 'Okafor', given: ['Chioma'] },
      telecom: [{ system: 'phone', value: '555-0199' }],
      address: { line: ['12 Elm Row'], city: 'Leeds' },
    },
  ],
};
const SECRETS = ['Okafor', 'Chioma', '555-0199', 'Elm Row', 'iVBORw0KGgo'];
// The demo patient, in the demo clinician's care.
const ID = 'demo-patient-1';

interface Row {
  content: unknown;
  sealed: string | null;
}

for (const engine of ['postgres', 'pglite'] as const) {
  const sealing = suite<{ t?: TestGateway }>(`contacts and photos sealed (${engine})`, {});

  sealing.before(async (ctx) => {
    ctx.t = await startTestGateway({ engine });
  });

  sealing.after(async (ctx) => {
    await ctx.t?.close();
  });

  const api = async (t: TestGateway, path: string, init: RequestInit = {}) => {
    const { access_token } = await t.login('clinician');
    const headers = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' };

    return fetch(`${t.url}/fhir${path}`, { ...init, headers });
  };

  const storedRows = async (t: TestGateway, id: string) => {
    const current = await t.db.query<Row>(
      `select content, sealed from clinical.resources where resource_type = 'Patient' and id = $1`,
      [id],
    );
    const history = await t.db.query<Row>(
      `select content, sealed from clinical.history where resource_type = 'Patient' and id = $1`,
      [id],
    );

    return [...current.rows, ...history.rows];
  };

  sealing(
    'a new patient keeps contacts and photo sealed and reads them back whole',
    async (ctx) => {
      const t = ctx.t!;
      const body = JSON.stringify({ ...PATIENT, id: ID });
      const res = await api(t, `/Patient/${ID}`, { method: 'PUT', body });
      assert.ok([200, 201].includes(res.status), await res.text());

      const rows = await storedRows(t, ID);
      const read = (await (await api(t, `/Patient/${ID}`)).json()) as typeof PATIENT;

      assert.ok(rows.length >= 2);
      for (const row of rows) {
        for (const secret of SECRETS) {
          assert.not.ok(JSON.stringify(row.content).includes(secret), `${secret} in clear`);
        }
        assert.ok(row.sealed !== null);
      }
      assert.equal(read.contact, PATIENT.contact);
      assert.equal(read.photo, PATIENT.photo);
    },
  );

  sealing(
    'rows stored with contacts in clear are sealed at start, current and history',
    async (ctx) => {
      const t = ctx.t!;
      const id = ID;
      // What a hub from before contacts and photos were sealed left behind: both in clear.
      for (const table of ['resources', 'history']) {
        await t.db.query(
          `update clinical.${table} set content = content || $2::jsonb
         where resource_type = 'Patient' and id = $1`,
          [id, JSON.stringify({ contact: PATIENT.contact, photo: PATIENT.photo })],
        );
      }
      assert.ok(
        JSON.stringify(await storedRows(t, id)).includes('Chioma'),
        'the clear rows are in',
      );

      await t.gateway.migrate();

      const rows = await storedRows(t, id);
      const read = (await (await api(t, `/Patient/${id}`)).json()) as typeof PATIENT;
      const history = (await (await api(t, `/Patient/${id}/_history`)).json()) as {
        entry: { resource: typeof PATIENT }[];
      };
      const oldest = history.entry.at(-1)?.resource;

      for (const secret of SECRETS) {
        assert.not.ok(JSON.stringify(rows).includes(secret), `${secret} still in clear`);
      }
      assert.equal(read.name, PATIENT.name, 'fields sealed before are kept');
      assert.equal(read.contact, PATIENT.contact);
      assert.equal(oldest?.photo, PATIENT.photo, 'an older version reads whole too');
    },
  );

  sealing.run();
}
