import { randomUUID } from 'node:crypto';

import type { PatientProfile, Rule } from '../rules/types.js';
import type { EngineCore } from './engine-core.js';
import { checkSilence, isSilenced } from './silences.js';
import type { Silence } from './types.js';

// The alert engine's settings: silences, care units, NEWS2 profiles, device cadences,
// rules and per-patient overrides. Each runs on the engine's queue, is stored, applied at
// once, and audited. `AlertEngine` exposes them; see its methods for the contract.

/** What a silence matches and until when. */
export interface SilenceInput {
  unit?: string;
  patientId?: string;
  ruleId?: string;
  code?: string;
  endsAt: string;
  reason?: string;
}

/** A per-patient override of a rule's parameters. */
export interface OverrideInput {
  ruleId: string;
  patientId: string;
  params: Record<string, unknown>;
  reason?: string;
}

export function addSilence(core: EngineCore, input: SilenceInput, actor: string) {
  return core.queue.run(async (): Promise<Silence> => {
    const now = core.nowIso();
    const silence: Silence = {
      ...input,
      id: randomUUID(),
      startsAt: now,
      createdBy: actor,
      createdAt: now,
    };
    checkSilence(silence);

    await core.store.addSilence(silence);
    core.silences.push(silence);
    const entity = `Silence/${silence.id}`;
    await core.audit.config(actor, 'silence.create', entity, silence.patientId, { ...input });
    for (const alert of core.open.values()) {
      if (isSilenced([silence], alert, core.clock())) {
        await core.queue.transition({ ...alert, updatedAt: now }, 'silenced', actor, {
          silenceId: silence.id,
          endsAt: silence.endsAt,
        });
      }
    }

    return silence;
  });
}

export function endSilence(core: EngineCore, id: string, actor: string): Promise<boolean> {
  return core.queue.run(async () => {
    const now = core.nowIso();
    const ended = await core.store.endSilence(id, now);
    core.silences = core.silences.map((s) => (s.id === id ? { ...s, endsAt: now } : s));
    if (ended) {
      await core.audit.config(actor, 'silence.end', `Silence/${id}`, undefined, {});
    }

    return ended;
  });
}

export function setPatientUnit(
  core: EngineCore,
  patientId: string,
  unit: string,
  actor: string,
): Promise<void> {
  return core.queue.run(async () => {
    if (unit.length === 0 || unit.length > 64) {
      throw new TypeError('"unit" must be 1 to 64 characters');
    }

    await core.memory.setUnit(patientId, unit, actor, core.nowIso());
    core.units.set(patientId, unit);
    const entity = `PatientUnit/${patientId}`;
    await core.audit.config(actor, 'patient-unit.set', entity, patientId, { unit });
  });
}

export function setProfile(
  core: EngineCore,
  profile: PatientProfile,
  actor: string,
): Promise<PatientProfile> {
  return core.queue.run(async () => {
    const stored = await core.rules.setProfile(profile, actor, core.nowIso());
    const patientId = stored.patientId;
    core.profiles.set(patientId, stored);
    await core.audit.config(actor, 'profile.set', `PatientProfile/${patientId}`, patientId, {});
    const isOpen = core.open.isOpenFor(patientId);
    const rules = core.rulesFor(patientId);
    for (const o of core.evaluator(patientId).reprofile(stored, rules, core.clock(), isOpen)) {
      await core.apply(o);
    }

    return stored;
  });
}

export function setDeviceCadence(
  core: EngineCore,
  deviceId: string,
  cadenceMs: number | null,
  actor: string,
): Promise<boolean> {
  return core.queue.run(async () => {
    if (cadenceMs !== null && !(Number.isInteger(cadenceMs) && cadenceMs > 0)) {
      throw new TypeError('"cadenceMs" must be a whole number > 0, or null');
    }

    await core.memory.setCadence(deviceId, cadenceMs, actor, core.nowIso());
    if (cadenceMs === null) {
      core.cadences.delete(deviceId);
    } else {
      core.cadences.set(deviceId, cadenceMs);
    }
    const d = core.devices.get(deviceId);
    if (d !== undefined) {
      core.devices.set(deviceId, { ...d, cadenceMs: cadenceMs ?? undefined });
    }
    const entity = `Device/${deviceId}`;
    await core.audit.config(actor, 'device-cadence.set', entity, d?.patientId, { cadenceMs });

    return d !== undefined;
  });
}

// A change to rules or overrides: stored, the rules in force reloaded, audited.
function configure<T>(
  core: EngineCore,
  actor: string,
  action: string,
  entity: string,
  patientId: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  return core.queue.run(async () => {
    const result = await fn();
    await core.reloadRules();
    await core.audit.config(actor, action, entity, patientId, {});

    return result;
  });
}

export function putRule(core: EngineCore, rule: Rule, actor: string): Promise<Rule> {
  return configure(core, actor, 'rule.put', `Rule/${rule.id}`, undefined, () =>
    core.rules.putRule(rule, actor, core.nowIso()),
  );
}

export function deleteRule(core: EngineCore, id: string, actor: string): Promise<boolean> {
  return configure(core, actor, 'rule.delete', `Rule/${id}`, undefined, () =>
    core.rules.deleteRule(id, actor, core.nowIso()),
  );
}

export function setOverride(core: EngineCore, input: OverrideInput, actor: string) {
  const entity = `RuleOverride/${input.ruleId}`;

  return configure(core, actor, 'override.set', entity, input.patientId, () =>
    core.rules.setOverride(input, actor, core.nowIso()),
  );
}

export function deleteOverride(
  core: EngineCore,
  ruleId: string,
  patientId: string,
  actor: string,
): Promise<boolean> {
  const entity = `RuleOverride/${ruleId}`;

  return configure(core, actor, 'override.delete', entity, patientId, () =>
    core.rules.deleteOverride(ruleId, patientId, actor, core.nowIso()),
  );
}
