import type { Role } from './access/principal.js';
import type { CareDirectory } from './access/care.js';
import type { AuditFn } from './audit/trail.js';
import type { ClientRegistry } from './auth/clients.js';
import type { UserDirectory } from './auth/users.js';
import type { FhirRepository } from './fhir/repository.js';

/** One demo account, as `npm start` prints it. */
export interface DemoUser {
  role: Role;
  username: string;
  /** For the system client: its client secret. */
  password: string;
  /** Base32 TOTP secret for staff (add it to an authenticator app). */
  totpSecret?: string;
  /** For the system client: its client id. */
  clientId?: string;
  patientId?: string;
}

/** Options of {@link seedDemo}. */
export interface SeedDemoOptions {
  /** The demo patient's id (the simulated devices' patient). Default `demo-patient-1`. */
  patientId?: string;
  /** The demo care unit (a Location id). Default `ward-1`. */
  unit?: string;
}

// NOTE: fixed demo credentials are the point of a demo seed; they only ever exist on a hub
// whose operator called seedDemoUsers().
const PASSWORD = 'Spark-Den-demo-2026';
const CLIENT_SECRET = 'demo-system-client-secret-0123456789abcdef';
const TOTP: Partial<Record<Role, string>> = {
  clinician: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  nurse: 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU',
  billing: 'MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK',
  'it-admin': 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
};

/**
 * Creates (once) a demo patient in a demo unit, a clinician on the patient's care team, a
 * nurse on the unit, a billing clerk, an IT administrator and a system client, and returns
 * their credentials. A second call returns the same credentials without writing.
 */
export async function seedDemo(
  deps: {
    users: UserDirectory;
    clients: ClientRegistry;
    repo: FhirRepository;
    care: CareDirectory;
    audit: AuditFn;
  },
  options: SeedDemoOptions = {},
): Promise<DemoUser[]> {
  const patientId = options.patientId ?? 'demo-patient-1';
  const unit = options.unit ?? 'ward-1';
  const demo: DemoUser[] = [
    { role: 'patient', username: 'demo-patient', password: PASSWORD, patientId },
    {
      role: 'clinician',
      username: 'demo-clinician',
      password: PASSWORD,
      totpSecret: TOTP.clinician,
    },
    { role: 'nurse', username: 'demo-nurse', password: PASSWORD, totpSecret: TOTP.nurse },
    {
      role: 'billing',
      username: 'demo-billing',
      password: PASSWORD,
      totpSecret: TOTP.billing,
    },
    {
      role: 'it-admin',
      username: 'demo-it-admin',
      password: PASSWORD,
      totpSecret: TOTP['it-admin'],
    },
    { role: 'system', username: 'demo-system', password: CLIENT_SECRET, clientId: 'demo-system' },
  ];
  if (await deps.users.exists('demo-clinician')) {
    return demo;
  }

  await seedClinicalData(deps.repo, patientId, unit);
  await deps.care.setPatientUnit(patientId, unit);
  const practitioners: Partial<Record<Role, string>> = {
    clinician: 'demo-clinician',
    nurse: 'demo-nurse',
  };
  for (const user of demo.filter((u) => u.role !== 'system')) {
    await deps.users.create({
      username: user.username,
      password: user.password,
      role: user.role,
      units: user.role === 'nurse' ? [unit] : [],
      ...(user.patientId === undefined ? {} : { patientId: user.patientId }),
      ...(practitioners[user.role] === undefined
        ? {}
        : { practitionerId: practitioners[user.role] }),
      ...(user.totpSecret === undefined ? {} : { totpSecret: user.totpSecret }),
    });
  }
  await deps.clients.register({
    id: 'demo-system',
    confidential: true,
    secret: CLIENT_SECRET,
    scopes: ['system/*.read', 'system/*.rs'],
    units: ['*'],
  });
  await deps.audit({
    action: 'seed-demo',
    outcome: 'success',
    actor: { sub: 'system', role: 'system' },
  });

  return demo;
}

async function seedClinicalData(
  repo: FhirRepository,
  patientId: string,
  unit: string,
): Promise<void> {
  await repo.update({ resourceType: 'Location', id: unit, status: 'active', name: 'Demo ward' });
  await repo.update({
    resourceType: 'Patient',
    id: patientId,
    active: true,
    name: [{ family: 'Demo', given: ['Pat'] }],
    gender: 'unknown',
    birthDate: '1950-01-01',
  });
  // Names colleagues see (an acknowledged alert, a message's sender, a visit's lobby).
  const staff = [
    { id: 'demo-clinician', name: { prefix: ['Dr.'], given: ['Casey'], family: 'Morgan' } },
    { id: 'demo-nurse', name: { given: ['Riley'], family: 'Shaw' } },
  ];
  for (const { id, name } of staff) {
    await repo.update({ resourceType: 'Practitioner', id, active: true, name: [name] });
  }
  await repo.update({
    resourceType: 'PractitionerRole',
    id: 'demo-nurse-role',
    practitioner: { reference: 'Practitioner/demo-nurse' },
    location: [{ reference: `Location/${unit}` }],
  });
  await repo.update({
    resourceType: 'CareTeam',
    id: 'demo-care-team',
    status: 'active',
    subject: { reference: `Patient/${patientId}` },
    participant: [{ member: { reference: 'Practitioner/demo-clinician' } }],
  });
}
