import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { loadHubConfig } from './hub-config.js';

const TOKEN = 'a-scrape-token-of-32-characters!!';

test('the metrics token is read from the file SPARKDEN_METRICS_TOKEN_FILE names', () => {
  const files: Record<string, string> = { '/run/secrets/metrics': `${TOKEN}\n` };
  const read = (file: string) => files[file] ?? '';

  const c = loadHubConfig({ SPARKDEN_METRICS_TOKEN_FILE: '/run/secrets/metrics' }, read);

  assert.is(c.metricsToken, TOKEN, 'trimmed of its trailing newline');
  assert.is(loadHubConfig({}).metricsToken, undefined, 'without the variable /metrics is open');
});

test('a missing or weak metrics token file names the variable', () => {
  const missing = () => {
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  };
  assert.throws(
    () => loadHubConfig({ SPARKDEN_METRICS_TOKEN_FILE: '/nope' }, missing),
    /SPARKDEN_METRICS_TOKEN_FILE: cannot read \/nope \(ENOENT\)/,
  );
  assert.throws(
    () => loadHubConfig({ SPARKDEN_METRICS_TOKEN_FILE: '/short' }, () => 'short'),
    /SPARKDEN_METRICS_TOKEN_FILE: the token must be at least 16/,
  );
  assert.throws(
    () => loadHubConfig({ SPARKDEN_METRICS_TOKEN_FILE: '/spaced' }, () => 'two words of a token'),
    /SPARKDEN_METRICS_TOKEN_FILE/,
  );
});

test.run();
