import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { CommandError, refusalText } from './console-socket.js';

test('a refusal to silence an urgent alert reads as plain words, not a code', () => {
  const text = refusalText(new CommandError('URGENT_NOT_SILENCEABLE', 'urgent alerts: no'));

  assert.match(text, /^Not silenced: an urgent alert is never silenced\./);
});

test('other refusals show the hub’s message', () => {
  assert.is(refusalText(new CommandError('FORBIDDEN', 'Not your unit.')), 'Not your unit.');
  assert.is(refusalText('boom'), 'boom');
});

test.run();
