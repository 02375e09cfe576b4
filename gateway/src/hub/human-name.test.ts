import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { formatHumanName } from './human-name.js';

test('prefix, given names and family name, in that order, on one line', () => {
  assert.is(
    formatHumanName([{ prefix: ['Dr.'], given: ['Ada', ' May'], family: 'Quill' }]),
    'Dr. Ada May Quill',
  );
  assert.is(formatHumanName([{ family: 'nurse' }]), 'nurse');
});

test('the usual name before the official one, the official before any other; text wins', () => {
  const names = [
    { given: ['Robin'], family: 'Old' },
    { use: 'official', given: ['Robin'], family: 'Hale' },
    { use: 'usual', text: ' Rob Hale ' },
  ];

  assert.is(formatHumanName(names), 'Rob Hale');
  assert.is(formatHumanName(names.slice(0, 2)), 'Robin Hale');
});

test('nothing to show is undefined, not an empty string', () => {
  assert.is(formatHumanName(undefined), undefined);
  assert.is(formatHumanName([]), undefined);
  assert.is(formatHumanName([{ use: 'usual', given: [] }]), undefined);
});

test.run();
