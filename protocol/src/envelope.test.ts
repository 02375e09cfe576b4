import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  openEnvelope,
  openJson,
  peekEnvelopeHeader,
  sealEnvelope,
  sealJson,
  type OpenEnvelopeOptions,
} from './envelope.js';
import { EnvelopeError } from './errors.js';
import { deriveSealingKey, generateSealingKeyPair } from './keys.js';

const agent = generateSealingKeyPair();
const hub = generateSealingKeyPair();
const key = deriveSealingKey(agent.privateKey, hub.publicKey, { agentId: 'a-1', keyId: 1 });
const header = { kind: 'obs' as const, keyId: 1, agentId: 'a-1', seq: 42n };
const body = Buffer.from('{"observations":[{"value":88}]}');
const lookup = { key: () => key };

function openError(frame: Uint8Array, options: OpenEnvelopeOptions = lookup): EnvelopeError {
  try {
    openEnvelope(frame, options);
  } catch (e) {
    assert.instance(e, EnvelopeError);

    return e as EnvelopeError;
  }
  throw new Error('frame opened but should not have');
}

test('both sides derive the same key; other agents and key ids derive others', () => {
  const hubSide = deriveSealingKey(hub.privateKey, agent.publicKey, { agentId: 'a-1', keyId: 1 });
  const other = deriveSealingKey(hub.privateKey, agent.publicKey, { agentId: 'a-2', keyId: 1 });
  const rotated = deriveSealingKey(hub.privateKey, agent.publicKey, { agentId: 'a-1', keyId: 2 });

  assert.equal(hubSide, key);
  assert.not.equal(other, key);
  assert.not.equal(rotated, key);
});

test('round trip gives back the body and the header', () => {
  const frame = sealEnvelope(header, body, key);
  const opened = openEnvelope(frame, { ...lookup, agentId: 'a-1', kind: 'obs' });

  assert.equal(Buffer.from(opened.body), body);
  assert.equal(opened.header, { ...header, version: 1 });
  assert.equal(peekEnvelopeHeader(frame).seq, 42n);
});

test('the body never appears in clear in the frame', () => {
  const frame = Buffer.from(sealEnvelope(header, body, key));

  assert.is(frame.indexOf('observations'), -1);
});

test('a flipped bit anywhere fails with a typed error', () => {
  const frame = sealEnvelope(header, body, key);
  fc.assert(
    fc.property(fc.nat(frame.length * 8 - 1), (bit) => {
      const copy = Uint8Array.from(frame);
      copy[bit >> 3] ^= 1 << (bit & 7);
      const err = openError(copy);

      return typeof err.code === 'string';
    }),
    { numRuns: 500 },
  );
});

test('a wrong key fails with AUTH_FAILED', () => {
  const frame = sealEnvelope(header, body, key);
  const wrong = deriveSealingKey(agent.privateKey, hub.publicKey, { agentId: 'a-1', keyId: 9 });

  assert.is(openError(frame, { key: () => wrong }).code, 'AUTH_FAILED');
});

test('an unknown key id fails with UNKNOWN_KEY', () => {
  const frame = sealEnvelope(header, body, key);

  assert.is(openError(frame, { key: () => undefined }).code, 'UNKNOWN_KEY');
});

test('a header swapped from another frame fails', () => {
  const a = sealEnvelope(header, body, key);
  const b = sealEnvelope({ ...header, seq: 43n }, body, key);
  const headerLength = 9 + 3 + 8;
  const swapped = Buffer.concat([b.subarray(0, headerLength), a.subarray(headerLength)]);

  assert.is(openError(swapped).code, 'AUTH_FAILED');
});

test('a frame for another agent or kind than expected is refused before decryption', () => {
  const frame = sealEnvelope(header, body, key);

  assert.is(openError(frame, { ...lookup, agentId: 'a-2' }).code, 'HEADER_MISMATCH');
  assert.is(openError(frame, { ...lookup, kind: 'alarm' }).code, 'HEADER_MISMATCH');
});

test('every truncation fails with a typed error', () => {
  const frame = sealEnvelope(header, body, key);
  for (let n = 0; n < frame.length; n++) {
    const err = openError(frame.subarray(0, n));
    assert.ok(['TRUNCATED', 'AUTH_FAILED'].includes(err.code), `cut at ${n}: ${err.code}`);
  }
});

test('random bytes never open', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      (bytes) => typeof openError(bytes).code === 'string',
    ),
  );
});

test('sealJson and openJson carry a value', () => {
  const frame = sealJson(header, { hello: [1, 2] }, key);

  assert.equal(openJson(frame, lookup).value, { hello: [1, 2] });
});

test('bad arguments throw TypeError naming the option', () => {
  assert.throws(() => sealEnvelope(header, body, new Uint8Array(16)), /"key" must be 32 bytes/);
  assert.throws(() => sealEnvelope({ ...header, agentId: '' }, body, key), /"agentId"/);
});

test.run();
