import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// The audit export checks its parameters (400, not 500) and pages with `next` links.

type Bundle = {
  resourceType: string;
  link: { relation: string; url: string }[];
  entry: { resource: { id: string } }[];
};
let t: TestGateway;
let token = '';

test.before(async () => {
  t = await startTestGateway({ engine: 'pglite' });
  token = (await t.login('it-admin')).access_token;
  for (let i = 0; i < 5; i += 1) {
    await t.gateway.audit({ action: 'read', resource: `Patient/p${i}`, outcome: 'success' });
  }
});

test.after(async () => {
  await t.close();
});

const get = (query: string) =>
  fetch(`${t.url}/audit/AuditEvent${query}`, { headers: { authorization: `Bearer ${token}` } });

test('a malformed _since, _count or _before is a 400 OperationOutcome', async () => {
  for (const query of ['?_since=garbage', '?_count=-5', '?_count=abc', '?_before=x']) {
    const res = await get(query);
    assert.is(res.status, 400, query);
    assert.is(((await res.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
  }
  assert.is((await get('?_since=2020-01-01')).status, 200);
});

test('pages follow the next link without overlap until the trail ends', async () => {
  const seen: string[] = [];
  let url: string | undefined = `${t.url}/audit/AuditEvent?_count=2`;
  let pages = 0;
  while (url !== undefined && pages < 100) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assert.is(res.status, 200);
    const bundle = (await res.json()) as Bundle;
    assert.ok(bundle.entry.length <= 2);
    seen.push(...bundle.entry.map((e) => e.resource.id));
    url = bundle.link.find((l) => l.relation === 'next')?.url;
    pages += 1;
  }

  const { rows } = await t.db.query<{ n: string }>('select count(*) as n from audit.events');
  assert.ok(pages > 2);
  assert.is(new Set(seen).size, seen.length, 'no record twice');
  // Reading the trail is itself audited as it goes, so at least every earlier record shows.
  assert.ok(seen.length >= Number(rows[0]?.n) - pages);
});

test.run();
