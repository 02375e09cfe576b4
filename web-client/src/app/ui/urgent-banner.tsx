import type { Alert } from '../model/alerts.js';
import { usePatientLabel } from './use-patient-label.js';

/**
 * The banner for urgent alerts nobody has acknowledged yet. It is an ARIA alert, so screen
 * readers announce it at once, and it stays until every urgent alert is acknowledged.
 */
export function UrgentBanner({ alerts }: { alerts: Alert[] }) {
  const first = alerts[0];

  return (
    <div role="alert" aria-atomic="true">
      {first ? <BannerBody first={first} count={alerts.length} /> : null}
    </div>
  );
}

function BannerBody({ first, count }: { first: Alert; count: number }) {
  const name = usePatientLabel(first.patientId, first.patientLabel);
  const more = count > 1 ? ` and ${count - 1} more` : '';

  return (
    <div class="banner-urgent" data-testid="urgent-banner">
      <span>
        Urgent: {first.title} for {name}
        {more}. Not yet acknowledged.
      </span>
      <button
        type="button"
        onClick={() => {
          const target = document.querySelector<HTMLElement>(
            `[data-alert-id="${CSS.escape(first.id)}"] button`,
          );
          target?.focus();
        }}
      >
        Go to alert
      </button>
    </div>
  );
}
