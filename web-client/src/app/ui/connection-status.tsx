import type { ConnectionState } from '../api/console-socket.js';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  replaying: 'Catching up on missed alerts…',
  reconnecting: 'Connection lost: reconnecting',
  offline: 'Offline: alerts are not updating',
};

/** The console's link state, as text and shape (never colour alone), announced politely. */
export function ConnectionStatus({ state }: { state: ConnectionState }) {
  return (
    <span class={`conn ${state}`} role="status" aria-live="polite" data-state={state}>
      {LABELS[state]}
    </span>
  );
}
