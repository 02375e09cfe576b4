import { AlertEngine } from '@sparkden/alerting';
import { verifyVisitToken, type VisitTokenClaims } from '@sparkden/sfu';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Server as SocketServer } from 'socket.io';

import { BillingStore } from '../billing/index.js';
import { FieldCipher } from '../crypto/field-cipher.js';
import { loadKeyring } from '../crypto/keyring-file.js';
import { loadOrCreateSecret } from '../crypto/secrets.js';
import { FhirRepository } from '../fhir/repository.js';
import { attachVisits, type AttachVisitsOptions, type VisitsHandle } from '../hub/visits.js';
import type { VisitTokenResponse } from '../hub/visit-routes.js';
import { startTestGateway, type TestGateway } from './harness.js';

/** A gateway with video visits attached, on a real socket.io server, for integration tests. */
export interface VisitTestHub {
  t: TestGateway;
  repo: FhirRepository;
  billing: BillingStore;
  visits: VisitsHandle;
  /** Base URL of the socket.io server that serves `/visit`. */
  ioUrl: string;
  /** Creates a booked Appointment of `patientId` (default the demo patient); returns its id. */
  book(options?: { patientId?: string; location?: string }): Promise<string>;
  /** Calls the token route as the demo user of `role`; returns the status and body. */
  tokenFor(
    role: string,
    appointmentId: string,
  ): Promise<{ status: number; body: VisitTokenResponse }>;
  /** Verifies a join token with the hub's visit-token secret. */
  verify(token: string): Promise<VisitTokenClaims>;
  close(): Promise<void>;
}

/**
 * Starts {@link startTestGateway} (real PostgreSQL) with {@link attachVisits} on top: a real
 * alerting engine and vitals store, billing's ledger, and socket.io on a loopback port. The
 * embedded SFU gets one worker on 127.0.0.1 unless `media` says otherwise.
 *
 * @example
 * const hub = await startVisitTestHub({ redisUrl, placementPrefix });
 */
export async function startVisitTestHub(
  options: Partial<
    Pick<AttachVisitsOptions, 'redisUrl' | 'placementPrefix' | 'nodeId' | 'media' | 'turn'>
  > = {},
): Promise<VisitTestHub> {
  const keysDir = mkdtempSync(join(tmpdir(), 'sd-visits-'));
  const t = await startTestGateway({ keysDir, withVitals: true });
  const repo = new FhirRepository(t.db, new FieldCipher(await loadKeyring(keysDir)));
  const engine = await AlertEngine.open({ db: t.db });
  const billing = await BillingStore.open({ db: t.db });
  const http: HttpServer = createServer();
  const io = new SocketServer(http, { serveClient: false });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  const ioUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const visits = await attachVisits({
    io,
    gateway: t.gateway,
    repo,
    store: t.vitals!,
    engine,
    billing: { store: billing },
    enabled: true,
    keysDir,
    publicUrl: t.url,
    media: { numWorkers: 1, listenIp: '127.0.0.1' },
    logger: pino({ level: 'silent' }),
    ...options,
  });
  const tokenKey = await loadOrCreateSecret(keysDir, 'visit-token', 32);

  return {
    t,
    repo,
    billing,
    visits,
    ioUrl,
    async book(o = {}) {
      const start = new Date();
      const saved = await repo.create({
        resourceType: 'Appointment',
        status: 'booked',
        start: start.toISOString(),
        end: new Date(start.getTime() + 30 * 60_000).toISOString(),
        participant: [
          {
            actor: { reference: `Patient/${o.patientId ?? 'demo-patient-1'}` },
            status: 'accepted',
          },
          { actor: { reference: 'Practitioner/demo-clinician' }, status: 'accepted' },
          ...(o.location === undefined
            ? []
            : [{ actor: { reference: `Location/${o.location}` }, status: 'accepted' }]),
        ],
      });

      return saved.id as string;
    },
    async tokenFor(role, appointmentId) {
      const { access_token } = await t.login(role as Parameters<TestGateway['login']>[0]);
      const res = await fetch(`${t.url}/api/visits/${appointmentId}/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}` },
      });

      return { status: res.status, body: (await res.json()) as VisitTokenResponse };
    },
    verify: (token) => verifyVisitToken(token, tokenKey),
    async close() {
      await visits.stop();
      await new Promise<void>((ok) => void io.close(() => ok()));
      await engine.close();
      await t.close();
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}
