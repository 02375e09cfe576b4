import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { loadHubConfig } from './hub-config.js';

test('vitals retention and compression ages are passed on', () => {
  const c = loadHubConfig({
    SPARKDEN_VITALS_RETENTION_DAYS: '3650',
    SPARKDEN_VITALS_COMPRESS_AFTER_DAYS: '14',
  });

  assert.equal(c.vitals, { retentionDays: 3650, compressAfterDays: 14 });
  assert.equal(loadHubConfig({}).vitals, {
    retentionDays: undefined,
    compressAfterDays: undefined,
  });
});

test('a wrong vitals age names its variable', () => {
  for (const bad of ['0', '-3', '1.5', 'ten', '99999']) {
    assert.throws(
      () => loadHubConfig({ SPARKDEN_VITALS_RETENTION_DAYS: bad }),
      /SPARKDEN_VITALS_RETENTION_DAYS: must be/,
    );
    assert.throws(
      () => loadHubConfig({ SPARKDEN_VITALS_COMPRESS_AFTER_DAYS: bad }),
      /SPARKDEN_VITALS_COMPRESS_AFTER_DAYS: must be/,
    );
  }
  assert.throws(
    () =>
      loadHubConfig({
        SPARKDEN_VITALS_RETENTION_DAYS: '30',
        SPARKDEN_VITALS_COMPRESS_AFTER_DAYS: '30',
      }),
    /SPARKDEN_VITALS_COMPRESS_AFTER_DAYS: must be less than SPARKDEN_VITALS_RETENTION_DAYS/,
  );
});

test.run();
