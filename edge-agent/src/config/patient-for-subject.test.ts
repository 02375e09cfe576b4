import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { agentConfigSchema, patientForSubject } from './schema.js';

// Wrong-patient risk: HL7 PID-3 decides the patient, or the message is refused.

test('with a map: the mapped patient; a missing or unknown PID-3 is refused', () => {
  const device = { patient: 'p-fallback', patients: { MRN1: 'Patient/a', MRN2: 'Patient/b' } };

  assert.equal(patientForSubject(device, 'MRN2'), { patient: 'Patient/b' });
  assert.ok('reason' in patientForSubject(device, 'MRN3'));
  assert.ok('reason' in patientForSubject(device, undefined));
  // Not an own key of the map: never a prototype property.
  assert.ok('reason' in patientForSubject(device, 'constructor'));
  assert.ok('reason' in patientForSubject({ ...device, ignorePid3: true }, 'MRN3'));
});

test('without a map: `patient` only when PID-3 is absent or ignorePid3 says so', () => {
  const device = { patient: 'p-1' };

  assert.equal(patientForSubject(device, undefined), { patient: 'p-1' });
  const refused = patientForSubject(device, 'MRN1');
  assert.ok('reason' in refused && !refused.reason.includes('MRN1'), 'never echoes PID-3');
  assert.equal(patientForSubject({ ...device, ignorePid3: true }, 'MRN1'), { patient: 'p-1' });
});

test('the config accepts patients on an HL7 device and refuses it on another driver', () => {
  const hl7 = {
    id: 'mon',
    driver: 'hl7-mllp',
    patient: 'p-1',
    mllp: { port: 2575 },
    patients: { MRN1: 'Patient/a' },
  };
  const ok = agentConfigSchema.safeParse({ stateDir: '/tmp/x', devices: [hl7] });
  const serial = { id: 'ox', driver: 'contec-cms50d', patient: 'p-1', path: '/dev/null' };
  const bad = agentConfigSchema.safeParse({
    stateDir: '/tmp/x',
    devices: [{ ...serial, patients: { MRN1: 'Patient/a' } }],
  });

  assert.ok(ok.success);
  assert.equal(ok.data?.devices[0].patients, { MRN1: 'Patient/a' });
  assert.not.ok(bad.success);
  assert.equal(bad.error?.issues[0].path, ['devices', 0, 'patients']);
});

test.run();
