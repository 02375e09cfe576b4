import { Hono } from 'hono';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createHubMetrics, metricsHandler } from './metrics.js';

const TOKEN = 'a-scrape-token-of-32-characters!!';

function appWith(token?: string): Hono {
  const app = new Hono();
  app.get('/metrics', metricsHandler(createHubMetrics(), { token }));

  return app;
}

const scrape = (app: Hono, authorization?: string) =>
  app.request('/metrics', { headers: authorization === undefined ? {} : { authorization } });

test('without a token /metrics answers any scrape', async () => {
  const res = await scrape(appWith());

  assert.is(res.status, 200);
  assert.match(await res.text(), /^# HELP sparkden_ingest_batches_total/m);
});

test('with a token /metrics answers only a scrape carrying it as a bearer token', async () => {
  const app = appWith(TOKEN);

  const none = await scrape(app);
  const wrong = await scrape(app, `Bearer ${TOKEN.slice(1)}x`);
  const basic = await scrape(app, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`);
  const right = await scrape(app, `bearer ${TOKEN}`);

  assert.is(none.status, 401);
  assert.is(none.headers.get('www-authenticate'), 'Bearer realm="metrics"');
  assert.not.match(await none.text(), /sparkden_/, 'no metric leaks to a refused scrape');
  assert.is(wrong.status, 401);
  assert.is(basic.status, 401);
  assert.is(right.status, 200);
  assert.match(await right.text(), /^# HELP sparkden_ingest_batches_total/m);
});

test('a token shorter than 16 characters is refused when the handler is made', () => {
  assert.throws(() => appWith('short'), /"token" must be at least 16 characters/);
});

test.run();
