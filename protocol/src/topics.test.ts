import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { agentTopic, isAgentTopicAllowed, parseAgentTopic } from './topics.js';

test('agentTopic builds and parseAgentTopic reads back', () => {
  const t = agentTopic('a-1', 'up', 'obs');

  assert.is(t, 'sd/v1/agent/a-1/up/obs');
  assert.equal(parseAgentTopic(t), { agentId: 'a-1', direction: 'up', kind: 'obs' });
});

test('unknown kinds and other shapes do not parse', () => {
  assert.is(parseAgentTopic('sd/v1/agent/a-1/up/ack'), undefined);
  assert.is(parseAgentTopic('sd/v1/agent/a-1/up/obs/extra'), undefined);
});

test('an agent may touch only its own topics, never with wildcards', () => {
  assert.ok(isAgentTopicAllowed('a-1', 'sd/v1/agent/a-1/down/ack'));
  assert.not.ok(isAgentTopicAllowed('a-1', 'sd/v1/agent/a-2/down/ack'));
  assert.not.ok(isAgentTopicAllowed('a-1', 'sd/v1/agent/+/down/ack'));
  assert.not.ok(isAgentTopicAllowed('a-1', 'sd/v1/agent/a-1/#'));
});

test('a bad agent id throws TypeError', () => {
  assert.throws(() => agentTopic('a/b', 'up', 'obs'), TypeError);
});

test.run();
