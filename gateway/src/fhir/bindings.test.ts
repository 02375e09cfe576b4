import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { GatewayError } from '../errors.js';
import { validate } from './definitions.js';
import type { Resource } from './resource-types.js';

// Required bindings [FHIR R4 terminologies 4.1.5.1] are enforced on every write.

const P = { reference: 'Patient/p1' };
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';

function invalidAt(resource: Resource): string[] {
  try {
    validate(resource);
  } catch (error) {
    assert.instance(error, GatewayError);
    assert.is((error as GatewayError).code, 'VALIDATION');

    return ((error as GatewayError).issues ?? []).flatMap((i) => i.expression ?? []);
  }

  return [];
}

const observation = (extra: Record<string, unknown>): Resource => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'Heart rate' },
  subject: P,
  ...extra,
});

test('a code outside its required value set is refused, at its path', () => {
  assert.equal(invalidAt(observation({ status: 'bogus' })), ['Observation.status']);
  assert.equal(invalidAt({ resourceType: 'Patient', gender: 'xyz' }), ['Patient.gender']);
  assert.equal(
    invalidAt({
      resourceType: 'Encounter',
      status: 'sideways',
      class: { code: 'AMB' },
      subject: P,
    }),
    ['Encounter.status'],
  );
  assert.equal(invalidAt({ resourceType: 'CareTeam', status: 'dormant', subject: P }), [
    'CareTeam.status',
  ]);
});

test('nested elements, choice types and data types are checked too', () => {
  const contact = { resourceType: 'Patient', contact: [{ name: { text: 'Kin' }, gender: 'xyz' }] };
  assert.equal(invalidAt(contact), ['Patient.contact.gender']);
  const telecom = { resourceType: 'Patient', telecom: [{ system: 'pigeon', value: 'x' }] };
  assert.equal(invalidAt(telecom), ['Patient.telecom.system']);
  const comparator = observation({ valueQuantity: { value: 600, comparator: '>>' } });
  assert.equal(invalidAt(comparator), ['Observation.valueQuantity.comparator']);
});

test('a CodeableConcept with a required binding needs one coding from the value set', () => {
  const allergy = (code: string): Resource => ({
    resourceType: 'AllergyIntolerance',
    patient: P,
    clinicalStatus: { coding: [{ system: CLINICAL, code }] },
  });
  assert.equal(invalidAt(allergy('forgotten')), ['AllergyIntolerance.clinicalStatus']);
  assert.equal(invalidAt(allergy('active')), []);
});

test('a required-bound CodeableConcept with text and no coding is refused, saying so', () => {
  const allergy: Resource = {
    resourceType: 'AllergyIntolerance',
    patient: P,
    clinicalStatus: { text: 'active' },
  };
  let diagnostics = '';
  try {
    validate(allergy);
  } catch (error) {
    diagnostics = ((error as GatewayError).issues ?? []).map((i) => i.diagnostics).join('; ');
  }

  assert.equal(invalidAt(allergy), ['AllergyIntolerance.clinicalStatus']);
  assert.match(diagnostics, 'AllergyIntolerance.clinicalStatus has no coding from the required');
  // An element without a required binding may still be text alone (Observation.code here).
  assert.equal(invalidAt(observation({})), []);
});

test('valid codes pass', () => {
  assert.equal(invalidAt(observation({ valueQuantity: { value: 600, comparator: '>' } })), []);
  assert.equal(
    invalidAt({
      resourceType: 'Patient',
      gender: 'female',
      telecom: [{ system: 'phone', value: '1' }],
    }),
    [],
  );
  assert.equal(invalidAt({ resourceType: 'CareTeam', status: 'active', subject: P }), []);
});

test.run();
