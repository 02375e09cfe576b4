import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { loadHubConfig } from './hub-config.js';

const secretFile = (text: string) => () => text;

test('TURN URLs and the secret file are read together', () => {
  const c = loadHubConfig(
    {
      SPARKDEN_TURN_URLS: 'turn:turn.example.org:3478, turns:turn.example.org:5349?transport=tcp',
      SPARKDEN_TURN_SECRET_FILE: '/run/secrets/turn_secret',
    },
    secretFile('a-long-enough-turn-secret\n'),
  );

  assert.equal(c.turn, {
    urls: ['turn:turn.example.org:3478', 'turns:turn.example.org:5349?transport=tcp'],
    secret: 'a-long-enough-turn-secret',
    ttlSeconds: undefined,
  });
  assert.is(loadHubConfig({}).turn, undefined);
});

test('a wrong TURN setting names its variable', () => {
  const read = secretFile('a-long-enough-turn-secret');
  assert.throws(
    () => loadHubConfig({ SPARKDEN_TURN_URLS: 'turn:t:3478' }, read),
    /SPARKDEN_TURN_URLS, SPARKDEN_TURN_SECRET_FILE: set both or neither/,
  );
  assert.throws(
    () => loadHubConfig({ SPARKDEN_TURN_URLS: 'https://t', SPARKDEN_TURN_SECRET_FILE: '/s' }, read),
    /SPARKDEN_TURN_URLS: "urls" must be turn: or turns: URLs/,
  );
  assert.throws(
    () =>
      loadHubConfig(
        { SPARKDEN_TURN_URLS: 'turn:t:3478', SPARKDEN_TURN_SECRET_FILE: '/s' },
        secretFile('short'),
      ),
    /SPARKDEN_TURN_SECRET_FILE: "secret" must be at least 16 characters/,
  );
  assert.throws(
    () => loadHubConfig({ SPARKDEN_TURN_TTL_SECONDS: '5' }, read),
    /SPARKDEN_TURN_TTL_SECONDS/,
  );
});

test.run();
