import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { GatewayError } from '../errors.js';
import { checkPasswordPolicy, isCommonPassword } from './passwords.js';

// [NIST SP 800-63B 5.1.1.2] a real blocklist, not a handful of entries.

const refused = (password: string) => {
  try {
    checkPasswordPolicy(password, 'alice');

    return undefined;
  } catch (error) {
    assert.instance(error, GatewayError);

    return (error as GatewayError).message;
  }
};

test('long passwords from breach lists are refused', () => {
  for (const common of ['1qaz2wsx3edc', 'qwerty123456', 'leavemealone', '123456654321']) {
    assert.is(refused(common), 'password policy: not a common password', common);
  }
});

test('a common password with digits or symbols appended, or repeated, is refused', () => {
  assert.ok(isCommonPassword('password1234'));
  assert.ok(isCommonPassword('sunshine2024!!'));
  assert.ok(isCommonPassword('dragondragon'));
  assert.ok(isCommonPassword('monkeymonkeymonkey'));
  assert.is(refused('Football2024!'), 'password policy: not a common password');
});

test('ordinary strong passwords pass', () => {
  assert.is(refused('Spark-Den-demo-2026'), undefined);
  assert.is(refused('correct horse battery staple'), undefined);
  assert.is(refused('tRx8-v2Lq-9mZe'), undefined);
});

test.run();
