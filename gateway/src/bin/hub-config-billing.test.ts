import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { sampleConfig } from '../billing/fixtures/sample-config.js';
import { ConfigError, loadHubConfig } from './hub-config.js';

const files: Record<string, string> = {
  '/etc/sparkden/billing.json': JSON.stringify(sampleConfig()),
  '/etc/sparkden/broken.json': JSON.stringify({ ...sampleConfig(), payers: [] }),
  '/etc/sparkden/not-json.json': '{ payers: ',
};
function read(path: string): string {
  const text = files[path];
  if (text === undefined) {
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  }

  return text;
}

function issues(env: NodeJS.ProcessEnv): string {
  try {
    loadHubConfig(env, read);
  } catch (error) {
    assert.instance(error, ConfigError);

    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('billing contracts and time zone: unset by default, passed through when valid', () => {
  assert.equal(loadHubConfig({}, read).billing, { configFile: undefined, timeZone: undefined });
  const c = loadHubConfig(
    {
      SPARKDEN_BILLING_CONFIG_FILE: '/etc/sparkden/billing.json',
      SPARKDEN_BILLING_TIME_ZONE: 'America/New_York',
    },
    read,
  );
  assert.equal(c.billing, {
    configFile: '/etc/sparkden/billing.json',
    timeZone: 'America/New_York',
  });
});

test('a time zone that is not an IANA name is refused, naming the variable', () => {
  assert.match(
    issues({ SPARKDEN_BILLING_TIME_ZONE: 'Eastern' }),
    /SPARKDEN_BILLING_TIME_ZONE: must be an IANA time zone name/,
  );
  assert.match(issues({ SPARKDEN_BILLING_TIME_ZONE: 'EST+5' }), /SPARKDEN_BILLING_TIME_ZONE/);
});

test('a contracts file that is missing, not JSON or invalid is refused, naming the field', () => {
  assert.match(
    issues({ SPARKDEN_BILLING_CONFIG_FILE: '/etc/sparkden/none.json' }),
    /SPARKDEN_BILLING_CONFIG_FILE: cannot read \/etc\/sparkden\/none.json \(ENOENT\)/,
  );
  assert.match(
    issues({ SPARKDEN_BILLING_CONFIG_FILE: '/etc/sparkden/not-json.json' }),
    /SPARKDEN_BILLING_CONFIG_FILE: .*not JSON/,
  );
  assert.match(
    issues({ SPARKDEN_BILLING_CONFIG_FILE: '/etc/sparkden/broken.json' }),
    /SPARKDEN_BILLING_CONFIG_FILE: .*INVALID_CONFIG.*payers/,
  );
});

test.run();
