import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { loadHubConfig } from './hub-config.js';

const SECRET = 'a-webhook-secret-of-32-characters';

test('a webhook URL and secret are passed on', () => {
  const c = loadHubConfig({
    SPARKDEN_WEBHOOK_URL: 'https://pager.example.org/hooks/sparkden',
    SPARKDEN_WEBHOOK_SECRET: SECRET,
  });

  assert.equal(c.webhook, { url: 'https://pager.example.org/hooks/sparkden', secret: SECRET });
  assert.is(loadHubConfig({}).webhook, undefined);
});

test('a wrong webhook setting names the variable', () => {
  const url = 'https://pager.example.org/';
  assert.throws(() => loadHubConfig({ SPARKDEN_WEBHOOK_URL: url }), /SPARKDEN_WEBHOOK_SECRET/);
  assert.throws(
    () => loadHubConfig({ SPARKDEN_WEBHOOK_URL: 'ftp://x', SPARKDEN_WEBHOOK_SECRET: SECRET }),
    /SPARKDEN_WEBHOOK_URL: must be an http\(s\) URL/,
  );
  assert.throws(
    () => loadHubConfig({ SPARKDEN_WEBHOOK_URL: url, SPARKDEN_WEBHOOK_SECRET: 'short' }),
    /SPARKDEN_WEBHOOK_SECRET: must be at least 16/,
  );
  assert.throws(
    () =>
      loadHubConfig({
        SPARKDEN_WEBHOOK_URL: 'http://pager.example.org/',
        SPARKDEN_WEBHOOK_SECRET: SECRET,
      }),
    /SPARKDEN_WEBHOOK_URL: plain http/,
  );
  const local = loadHubConfig({
    SPARKDEN_WEBHOOK_URL: 'http://127.0.0.1:9000/hook',
    SPARKDEN_WEBHOOK_SECRET: SECRET,
  });
  assert.is(local.webhook?.url, 'http://127.0.0.1:9000/hook', 'plain http on loopback is fine');
});

test.run();
