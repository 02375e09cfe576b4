import type { Socket } from 'socket.io-client';

import { connectVitalsFeed, VITALS_NAMESPACE } from './vitals-connection.js';

export { VITALS_NAMESPACE };

/** Mirrors `VitalsReading` / `VitalsAlert` / `VitalsSnapshot` in sfu/src/vitals-feed.ts. */
export interface VitalsReading {
  code: string;
  label: string;
  value: number | null;
  components?: { code: string; label: string; value: number }[];
  unit: string;
  effectiveAt: string;
  trend?: 'rising' | 'falling' | 'steady';
  quality?: string[];
}

export interface VitalsAlert {
  id: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  title: string;
  status: 'open' | 'acknowledged';
  raisedAt: string;
}

export interface VitalsSnapshot {
  patientRef: string;
  readings: VitalsReading[];
  alerts: VitalsAlert[];
  at: string;
}

const TREND: Record<string, string> = { rising: '↑', falling: '↓', steady: '→' };

function formatValue(r: VitalsReading): string {
  if (r.components?.length) {
    return r.components.map((c) => c.value).join('/');
  }

  return r.value === null ? '—' : String(r.value);
}

/**
 * The clinician's live-vitals panel: connects to the feed with the visit token (a fresh one
 * on every reconnect when `token` is a function) and keeps the latest value per code, its
 * trend, and the patient's open alerts on screen.
 */
export function mountVitalsPanel(
  root: HTMLElement,
  options: { url: string; token: string | (() => Promise<string>) },
): Socket {
  const readings = new Map<string, VitalsReading>();
  const alerts = new Map<string, VitalsAlert>();
  root.innerHTML = `<h2>Live vitals</h2><p class="vitals-status" data-testid="vitals-status">connecting…</p>
    <table class="vitals-table"><tbody data-testid="vitals-rows"></tbody></table>
    <h3>Open alerts</h3><ul class="vitals-alerts" data-testid="vitals-alerts"></ul>`;
  const status = root.querySelector<HTMLElement>('.vitals-status')!;
  const rows = root.querySelector<HTMLElement>('[data-testid="vitals-rows"]')!;
  const alertList = root.querySelector<HTMLElement>('[data-testid="vitals-alerts"]')!;

  const render = () => {
    rows.replaceChildren(
      ...[...readings.values()].map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.code = r.code;
        const time = new Date(r.effectiveAt).toLocaleTimeString();
        const flags = r.quality?.length ? ` (${r.quality.join(', ')})` : '';
        tr.innerHTML =
          '<th></th><td class="v"></td><td class="u"></td><td class="t"></td><td class="w"></td>';
        tr.children[0].textContent = r.label;
        tr.children[1].textContent = formatValue(r) + flags;
        tr.children[2].textContent = r.unit;
        tr.children[3].textContent = r.trend ? TREND[r.trend] : '';
        tr.children[4].textContent = time;
        return tr;
      }),
    );
    alertList.replaceChildren(
      ...[...alerts.values()].map((a) => {
        const li = document.createElement('li');
        li.className = `alert-${a.severity}`;
        li.textContent = `${a.severity.toUpperCase()}: ${a.title}`;
        return li;
      }),
    );
    if (alerts.size === 0) {
      const li = document.createElement('li');
      li.textContent = 'none';
      alertList.append(li);
    }
  };

  const STATUS_TEXT = {
    live: 'live',
    reconnecting: 'reconnecting…',
    unavailable: 'vitals unavailable',
  };
  const socket = connectVitalsFeed(options, {
    status: (s) => (status.textContent = STATUS_TEXT[s]),
    snapshot: (s) => {
      readings.clear();
      alerts.clear();
      s.readings.forEach((r) => readings.set(r.code, r));
      s.alerts.forEach((a) => alerts.set(a.id, a));
      render();
    },
    reading: (r) => {
      readings.set(r.code, r);
      render();
    },
    alert: (a) => {
      alerts.set(a.id, a);
      render();
    },
    alertCleared: (id) => {
      alerts.delete(id);
      render();
    },
  });

  return socket;
}
