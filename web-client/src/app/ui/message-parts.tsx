import { useState } from 'preact/hooks';

import { messageText, type CommunicationResource } from '../api/messaging.js';
import { formatClock } from '../model/format.js';

const MAX_LENGTH = 2000;

/**
 * A conversation, oldest first. `ownSide` says which messages are the viewer's own (drawn on
 * their side) and `senderOf` names the sender shown above each message.
 */
export function MessageList(props: {
  messages: CommunicationResource[];
  now: number;
  label: string;
  ownSide: (m: CommunicationResource) => boolean;
  senderOf: (m: CommunicationResource) => string;
}) {
  return (
    <ul class="messages" aria-label={props.label}>
      {props.messages.map((m) => (
        <li key={m.id} class={props.ownSide(m) ? 'mine' : undefined}>
          <div class="meta">
            {props.senderOf(m)}
            {m.sent ? `, ${formatClock(m.sent, props.now)}` : ''}
          </div>
          <div>{messageText(m)}</div>
        </li>
      ))}
    </ul>
  );
}

/**
 * The box to write and send a message: refuses an empty one, and reports the outcome in a
 * status line (`sentText`, or why it was not sent).
 */
export function MessageForm(props: {
  id: string;
  label: string;
  button: string;
  emptyText: string;
  sentText: string;
  class?: string;
  send: (body: string) => Promise<void>;
}) {
  const [text, setText] = useState('');
  const [status, setStatus] = useState<{ text: string; error: boolean }>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const body = text.trim();
    if (body === '') {
      setStatus({ text: props.emptyText, error: true });
      return;
    }

    setBusy(true);
    try {
      await props.send(body);
      setText('');
      setStatus({ text: props.sentText, error: false });
    } catch (error) {
      setStatus({ text: `Not sent: ${(error as Error).message}`, error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class={props.class} onSubmit={(e) => void submit(e)}>
      <div class="field">
        <label for={props.id}>{props.label}</label>
        <textarea
          id={props.id}
          rows={4}
          maxLength={MAX_LENGTH}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </div>
      <button class="primary" type="submit" disabled={busy}>
        {props.button}
      </button>
      <p class={status?.error ? 'error' : 'notice'} role="status" hidden={!status}>
        {status?.text}
      </p>
    </form>
  );
}
