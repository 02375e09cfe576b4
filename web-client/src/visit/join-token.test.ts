import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { JoinTokens, readVisitLink, resolveBaseUrl, type VisitTokenAnswer } from './join-token.js';

function answer(token: string): VisitTokenAnswer {
  return {
    token,
    expiresIn: 300,
    appointmentId: 'apt-1',
    role: 'patient',
    nodeId: 'sfu-2',
    signalingUrl: 'https://sfu-2.example:4443',
    vitalsUrl: 'https://hub.example',
  };
}

test("the app's visit link names the Appointment", () => {
  assert.equal(readVisitLink('?appointment=apt-1', ''), {
    kind: 'appointment',
    appointmentId: 'apt-1',
  });
  assert.equal(readVisitLink('', ''), { kind: 'none' });
});

test('a token in the fragment wins, with its signaling and vitals URLs', () => {
  assert.equal(readVisitLink('?appointment=apt-1', '#token=t.k.n&signal=https%3A%2F%2Fsfu-2'), {
    kind: 'token',
    token: 't.k.n',
    signalUrl: 'https://sfu-2',
    vitalsUrl: undefined,
  });
});

test("a signaling URL resolves against the page; none means the page's origin", () => {
  assert.is(
    resolveBaseUrl('https://sfu-2.example:4443/', 'https://hub'),
    'https://sfu-2.example:4443',
  );
  assert.is(resolveBaseUrl('', 'https://hub'), 'https://hub');
  assert.is(resolveBaseUrl('/', 'https://hub'), 'https://hub');
});

test('the token is fetched once, then again only when it nears expiry', async () => {
  let clock = 0;
  const asked: string[] = [];
  const tokens = new JoinTokens('apt-1', {
    now: () => clock,
    request: (id) => {
      asked.push(id);
      return Promise.resolve(answer(`t${asked.length}`));
    },
  });

  const [a, b] = await Promise.all([tokens.current(), tokens.current()]);
  clock = 200_000;
  const c = await tokens.current();
  clock = 250_000;
  const d = await tokens.current();

  assert.equal([a.token, b.token, c.token, d.token], ['t1', 't1', 't1', 't2']);
  assert.equal(asked, ['apt-1', 'apt-1']);
});

test('a refused request is not kept: the next call asks again', async () => {
  let calls = 0;
  const tokens = new JoinTokens('apt-1', {
    request: () => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('offline')) : Promise.resolve(answer('t2'));
    },
  });

  await tokens.current().then(
    () => assert.unreachable('the first request fails'),
    (error: Error) => assert.is(error.message, 'offline'),
  );

  assert.is((await tokens.current()).token, 't2');
});

test.run();
