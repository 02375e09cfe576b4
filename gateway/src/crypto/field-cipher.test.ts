import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { FieldCipher, FieldCipherError, createKeyring, rotateKeyring } from './field-cipher.js';

test('seal and open round-trip; every seal uses a fresh nonce', () => {
  const cipher = new FieldCipher(createKeyring());
  const a = cipher.seal('{"name":"Pat"}', 'Patient/1');
  const b = cipher.seal('{"name":"Pat"}', 'Patient/1');
  assert.is.not(a, b);
  assert.is(cipher.open(a, 'Patient/1'), '{"name":"Pat"}');
});

test('a value moved to another record, a flipped byte or an unknown key fails with a code', () => {
  const cipher = new FieldCipher(createKeyring());
  const sealed = cipher.seal('secret', 'Patient/1');
  const flipped = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1);
  const cases: [string, string, string][] = [
    [sealed, 'Patient/2', 'CORRUPT'],
    [flipped, 'Patient/1', 'CORRUPT'],
    [sealed.replace(/^v1\.[^.]+/, 'v1.nokey'), 'Patient/1', 'UNKNOWN_KEY'],
  ];
  for (const [value, context, code] of cases) {
    try {
      cipher.open(value, context);
      assert.unreachable(code);
    } catch (error) {
      assert.instance(error, FieldCipherError);
      assert.is((error as FieldCipherError).code, code);
    }
  }
});

test('after rotation old values still open, new ones use the new key, index tokens are stable', () => {
  const ring = createKeyring('k1');
  const cipher = new FieldCipher(ring);
  const old = cipher.seal('x', 'c');
  const token = cipher.indexToken('Patient.identifier', 'MRN-1');
  cipher.replaceRing(rotateKeyring(ring, 'k2'));
  assert.is(cipher.open(old, 'c'), 'x');
  assert.ok(cipher.isStale(old));
  assert.is(cipher.seal('y', 'c').split('.')[1], 'k2');
  assert.is(cipher.indexToken('Patient.identifier', ' mrn-1 '), token, 'normalized');
  assert.is.not(cipher.indexToken('Patient.telecom', 'MRN-1'), token, 'scoped per parameter');
});

test('a value under a key this cipher has not loaded opens after its refresh hook reloads', () => {
  const ring = createKeyring('k1');
  const rotated = rotateKeyring(ring, 'k2');
  const writer = new FieldCipher(rotated);
  const sealed = writer.seal('x', 'c');
  let pending: typeof rotated | undefined = rotated;
  const reader = new FieldCipher(ring, {
    refresh: () => {
      const next = pending;
      pending = undefined;

      return next;
    },
  });

  assert.is(reader.open(sealed, 'c'), 'x');
  assert.is(reader.activeKeyId, 'k2', 'new writes use the newest key of the reloaded ring');
  assert.is(reader.seal('y', 'c').split('.')[1], 'k2');
});

test('a refresh hook that finds nothing new leaves UNKNOWN_KEY as it was', () => {
  const sealed = new FieldCipher(createKeyring('k9')).seal('x', 'c');
  const cipher = new FieldCipher(createKeyring('k1'), { refresh: () => undefined });

  assert.throws(
    () => cipher.open(sealed, 'c'),
    (e: unknown) => e instanceof FieldCipherError && e.code === 'UNKNOWN_KEY',
  );
});

test.run();
