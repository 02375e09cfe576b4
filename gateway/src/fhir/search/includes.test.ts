import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { GatewayError } from '../../errors.js';
import type { FhirRequest } from '../context.js';
import type { Resource } from '../resource-types.js';
import type { FhirService } from '../service.js';
import { FhirSources } from '../sources.js';
import type { CompiledSearch } from './compile.js';
import { includesOf } from './includes.js';

// `_include` follows the matches' own references; a denial omits, anything else travels.

const req = { caller: { role: 'clinician' } } as unknown as FhirRequest;
const compiled = { include: [{ sourceType: 'Observation', param: 'patient' }] } as CompiledSearch;
const reading: Resource = {
  resourceType: 'Observation',
  id: 'vs-0190a1b2-0000-7000-8000-000000000001',
  status: 'final',
  code: { text: 'Heart rate' },
  subject: { reference: 'Patient/p1' },
};

function fakeFhir(resolve: () => Promise<unknown>, guard: () => Promise<string>): FhirService {
  return { sources: new FhirSources(), resolve, guard } as unknown as FhirService;
}

test('a device reading includes its patient, from its own subject reference', async () => {
  const patient = { resourceType: 'Patient', id: 'p1' };
  const fhir = fakeFhir(
    () => Promise.resolve({ resource: patient, patientId: 'p1' }),
    () => Promise.resolve('TREAT'),
  );

  assert.equal(await includesOf(fhir, req, compiled, [reading]), [patient]);
});

test('an include the caller may not read is left out', async () => {
  const fhir = fakeFhir(
    () => Promise.resolve({ resource: { resourceType: 'Patient', id: 'p1' }, patientId: 'p1' }),
    () => Promise.reject(new GatewayError('FORBIDDEN', 'no access to this patient')),
  );

  assert.equal(await includesOf(fhir, req, compiled, [reading]), []);
});

test('any other error while reading or checking an include travels', async () => {
  const broken = new Error('connection reset');
  const failingRead = fakeFhir(
    () => Promise.reject(broken),
    () => Promise.resolve('TREAT'),
  );
  const failingGuard = fakeFhir(
    () => Promise.resolve({ resource: { resourceType: 'Patient', id: 'p1' }, patientId: 'p1' }),
    () => Promise.reject(broken),
  );

  for (const fhir of [failingRead, failingGuard]) {
    try {
      await includesOf(fhir, req, compiled, [reading]);
      assert.unreachable('the error was swallowed');
    } catch (error) {
      assert.is(error, broken);
    }
  }
});

test.run();
