import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { interactionOf } from './audit-failures.js';

test('a failed request is audited under the FHIR interaction it attempted', () => {
  assert.is(interactionOf('GET', '/Observation'), 'search');
  assert.is(interactionOf('POST', '/Observation/_search'), 'search');
  assert.is(interactionOf('GET', '/Observation/$lastn'), 'search');
  assert.is(interactionOf('GET', '/Observation/o1'), 'read');
  assert.is(interactionOf('GET', '/Observation/o1/_history'), 'history');
  assert.is(interactionOf('GET', '/Observation/o1/_history/2'), 'vread');
  assert.is(interactionOf('POST', '/Observation'), 'create');
  assert.is(interactionOf('PUT', '/Observation/o1'), 'update');
  assert.is(interactionOf('PATCH', '/Observation/o1'), 'patch');
  assert.is(interactionOf('DELETE', '/Observation/o1'), 'delete');
  assert.is(interactionOf('GET', '/Group/g1/$export'), 'export');
  assert.is(interactionOf('GET', '/$export-status/j1'), 'export');
});

test.run();
