import { randomUUID } from 'node:crypto';

import type { Database } from '@sparkden/alerting';

import { type Role, isRole } from '../access/principal.js';
import type { FieldCipher } from '../crypto/field-cipher.js';
import { GatewayError } from '../errors.js';
import { DUMMY_HASH, checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';
import { createTotpSecret, matchTotp } from './totp.js';

/** A user of the built-in IdP, as the rest of the gateway sees it (no secrets). */
export interface User {
  id: string;
  role: Role;
  units: string[];
  patientId?: string;
  practitionerId?: string;
}

/** What creating a user needs. */
export interface NewUser {
  username: string;
  password: string;
  role: Role;
  units?: string[];
  patientId?: string;
  practitionerId?: string;
  /** A fixed TOTP secret (base32), for demo users; a random one otherwise. */
  totpSecret?: string;
}

/** Why a login failed; the HTTP answer is the same for all, the audit record says which. */
export type LoginFailure = 'BAD_CREDENTIALS' | 'LOCKED' | 'MFA_REQUIRED' | 'BAD_TOTP';

/** Raised by {@link UserDirectory.login}. */
export class LoginError extends Error {
  readonly code: LoginFailure;
  readonly userId: string | undefined;

  constructor(code: LoginFailure, userId?: string) {
    super(`login failed: ${code}`);
    this.name = 'LoginError';
    this.code = code;
    this.userId = userId;
  }
}

/** Options of {@link UserDirectory}. */
export interface UserDirectoryOptions {
  /** Failures in a row before the account locks (default 5). */
  maxFailures?: number;
  /** How long a lock lasts, in seconds (default 900). */
  lockSeconds?: number;
}

const STAFF: readonly Role[] = ['clinician', 'nurse', 'billing', 'it-admin'];

interface UserRow {
  id: string;
  password_hash: string;
  role: string;
  units: string[];
  patient_id: string | null;
  practitioner_id: string | null;
  totp_sealed: string | null;
  totp_last_step: number;
  failed_attempts: number;
  locked_until: Date | null;
  disabled: boolean;
}

/**
 * The built-in IdP's users: argon2id hashes, the password policy, TOTP for staff roles
 * (the secret sealed at rest), lockout after repeated failures.
 *
 * @example
 * ```ts
 * const users = new UserDirectory(db, cipher);
 * const { user, totpSecret } = await users.create({ username, password, role: 'nurse' });
 * const who = await users.login(username, password, code);
 * ```
 */
export class UserDirectory {
  readonly #db: Database;
  readonly #cipher: FieldCipher;
  readonly #maxFailures: number;
  readonly #lockSeconds: number;

  constructor(db: Database, cipher: FieldCipher, options: UserDirectoryOptions = {}) {
    this.#db = db;
    this.#cipher = cipher;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#lockSeconds = options.lockSeconds ?? 900;
  }

  /** Creates a user; staff get a TOTP secret, returned once for enrollment. */
  async create(input: NewUser): Promise<{ user: User; totpSecret?: string }> {
    if (!isRole(input.role) || input.role === 'system') {
      throw new TypeError(`"role" must be a user role: ${String(input.role)}`);
    }
    if (input.role === 'patient' && input.patientId === undefined) {
      throw new TypeError('"patientId" is required for a patient user');
    }
    checkPasswordPolicy(input.password, input.username);

    const id = randomUUID();
    const totpSecret = STAFF.includes(input.role)
      ? (input.totpSecret ?? createTotpSecret())
      : undefined;
    const sealed = totpSecret === undefined ? null : this.#cipher.seal(totpSecret, `totp:${id}`);
    await this.#db.query(
      `insert into auth.users (id, username, password_hash, role, units, patient_id,
         practitioner_id, totp_sealed) values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        id,
        input.username.toLowerCase(),
        await hashPassword(input.password),
        input.role,
        input.units ?? [],
        input.patientId ?? null,
        input.practitionerId ?? null,
        sealed,
      ],
    );
    const user = toUser({
      id,
      role: input.role,
      units: input.units,
      patientId: input.patientId,
      practitionerId: input.practitionerId,
    });

    return totpSecret === undefined ? { user } : { user, totpSecret };
  }

  /** Finds a user by id, or `undefined`. */
  async get(id: string): Promise<User | undefined> {
    const { rows } = await this.#db.query<UserRow>('select * from auth.users where id = $1', [id]);

    return rows[0] === undefined || rows[0].disabled ? undefined : fromRow(rows[0]);
  }

  /** Whether a user with this username exists. */
  async exists(username: string): Promise<boolean> {
    const { rows } = await this.#db.query('select 1 from auth.users where username = $1', [
      username.toLowerCase(),
    ]);

    return rows.length > 0;
  }

  /**
   * Checks a password (and, for staff, a TOTP code) and returns the user.
   *
   * @throws {LoginError} with the reason; failures count towards the lockout.
   */
  async login(username: string, password: string, totp?: string): Promise<User> {
    const { rows } = await this.#db.query<UserRow>('select * from auth.users where username = $1', [
      username.toLowerCase(),
    ]);
    const row = rows[0];
    if (row === undefined || row.disabled) {
      await verifyPassword(DUMMY_HASH, password);
      throw new LoginError('BAD_CREDENTIALS');
    }
    if (row.locked_until !== null && new Date(row.locked_until).getTime() > Date.now()) {
      // The same work as any other attempt, so timing does not tell locked from unknown.
      await verifyPassword(row.password_hash, password);
      throw new LoginError('LOCKED', row.id);
    }

    if (!(await verifyPassword(row.password_hash, password))) {
      throw await this.#fail(row, 'BAD_CREDENTIALS');
    }
    if (row.totp_sealed !== null) {
      await this.#checkTotp(row, totp);
    }
    await this.#db.query(
      'update auth.users set failed_attempts = 0, locked_until = null where id = $1',
      [row.id],
    );

    return fromRow(row);
  }

  async #checkTotp(row: UserRow, code: string | undefined): Promise<void> {
    if (code === undefined || code === '') {
      throw new LoginError('MFA_REQUIRED', row.id);
    }

    const secret = this.#cipher.open(row.totp_sealed as string, `totp:${row.id}`);
    const step = matchTotp(secret, code);
    if (step === undefined || step <= Number(row.totp_last_step)) {
      throw await this.#fail(row, 'BAD_TOTP');
    }
    const { rowCount } = await this.#db.query(
      'update auth.users set totp_last_step = $2 where id = $1 and totp_last_step < $2',
      [row.id, step],
    );
    if (rowCount === 0) {
      throw await this.#fail(row, 'BAD_TOTP');
    }
  }

  async #fail(row: UserRow, code: LoginFailure): Promise<LoginError> {
    const { rows } = await this.#db.query<{ failed_attempts: number }>(
      `update auth.users set failed_attempts = failed_attempts + 1,
         locked_until = case when failed_attempts + 1 >= $2
           then now() + make_interval(secs => $3) else locked_until end
       where id = $1 returning failed_attempts`,
      [row.id, this.#maxFailures, this.#lockSeconds],
    );
    const locked = (rows[0]?.failed_attempts ?? 0) >= this.#maxFailures;

    return new LoginError(locked ? 'LOCKED' : code, row.id);
  }
}

function toUser(input: { id: string } & Omit<NewUser, 'username' | 'password'>): User {
  return {
    id: input.id,
    role: input.role,
    units: input.units ?? [],
    ...(input.patientId === undefined ? {} : { patientId: input.patientId }),
    ...(input.practitionerId === undefined ? {} : { practitionerId: input.practitionerId }),
  };
}

function fromRow(row: UserRow): User {
  if (!isRole(row.role)) {
    throw new GatewayError('FORBIDDEN', 'user has an unknown role');
  }

  return toUser({
    id: row.id,
    role: row.role,
    units: row.units,
    patientId: row.patient_id ?? undefined,
    practitionerId: row.practitioner_id ?? undefined,
  });
}
