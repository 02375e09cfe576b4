import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { agentBatchTiming } from './agent-batch.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

test('an obs batch starts at its earliest reading and ends when the agent sent it', () => {
  const body = {
    agentId: 'agent-1',
    seq: 7,
    sentAt: '2026-12-04T08:00:10.000Z',
    traceparent: TRACEPARENT,
    observations: [
      { receivedAt: '2026-12-04T08:00:05.000Z' },
      { receivedAt: '2026-12-04T08:00:02.500Z' },
      { receivedAt: 'not a time' },
    ],
  };

  const timing = agentBatchTiming('agent-1', 'obs', body);

  assert.equal(timing, {
    agentId: 'agent-1',
    kind: 'obs',
    seq: 7,
    traceparent: TRACEPARENT,
    startedAt: Date.parse('2026-12-04T08:00:02.500Z'),
    sentAt: Date.parse('2026-12-04T08:00:10.000Z'),
    items: 3,
  });
});

test('an alarm batch is timed by its alarms; an untimed one starts when it was sent', () => {
  const sentAt = '2026-12-04T08:00:10.000Z';
  const alarms = [{ raisedAt: '2026-12-04T08:00:09.000Z' }];

  const timed = agentBatchTiming('a', 'alarm', {
    seq: 1,
    sentAt,
    traceparent: TRACEPARENT,
    alarms,
  });
  const bare = agentBatchTiming('a', 'alarm', { seq: 1, sentAt, traceparent: TRACEPARENT });

  assert.is(timed?.startedAt, Date.parse('2026-12-04T08:00:09.000Z'));
  assert.is(bare?.startedAt, Date.parse(sentAt));
  assert.is(bare?.items, 0);
});

test('a batch without a valid traceparent or sentAt has no timing', () => {
  const sentAt = '2026-12-04T08:00:10.000Z';
  const zeros = `00-${'0'.repeat(32)}-b7ad6b7169203331-01`;

  assert.is(agentBatchTiming('a', 'obs', { seq: 1, sentAt }), undefined);
  assert.is(agentBatchTiming('a', 'obs', { seq: 1, sentAt, traceparent: zeros }), undefined);
  assert.is(agentBatchTiming('a', 'obs', { seq: 1, traceparent: TRACEPARENT }), undefined);
  assert.is(agentBatchTiming('a', 'obs', null), undefined);
});

test.run();
