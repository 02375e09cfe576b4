import { useState } from 'preact/hooks';

import { listMessages, messageText, sendMessage } from '../api/messaging.js';
import { session } from '../api/session.js';
import { useLoad, useNow } from '../hooks.js';
import { formatClock } from '../model/format.js';
import { ViewHeading } from './view-heading.js';
import { Failure } from './worklist-view.js';

const MAX_LENGTH = 2000;

/** Secure messages between a patient and their care team (FHIR Communication). */
export function MessagesView() {
  const patientId = session.current()?.patientId ?? '';
  const now = useNow(60_000);
  const messages = useLoad(() => listMessages(patientId), [patientId], 30_000);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<{ text: string; error: boolean }>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const body = text.trim();
    if (body === '') {
      setStatus({ text: 'Write a message first.', error: true });
      return;
    }
    setBusy(true);
    try {
      await sendMessage(patientId, body);
      setText('');
      setStatus({ text: 'Message sent. Your care team will reply here.', error: false });
      messages.reload();
    } catch (error) {
      setStatus({ text: `Not sent: ${(error as Error).message}`, error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <ViewHeading title="Messages" />
      <p class="hint">
        For an emergency, call your local emergency number. Messages are read during clinic hours.
      </p>
      <Failure error={messages.error} what="messages" />
      {messages.data?.length === 0 ? <p class="card">No messages yet.</p> : null}
      <ul class="messages" aria-label="Conversation with your care team">
        {(messages.data ?? []).map((m) => {
          const mine = m.sender?.reference === `Patient/${patientId}`;

          return (
            <li key={m.id} class={mine ? 'mine' : undefined}>
              <div class="meta">
                {mine ? 'You' : (m.sender?.display ?? 'Care team')}
                {m.sent ? `, ${formatClock(m.sent, now)}` : ''}
              </div>
              <div>{messageText(m)}</div>
            </li>
          );
        })}
      </ul>
      <form class="card" onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="message-text">New message to your care team</label>
          <textarea
            id="message-text"
            rows={4}
            maxLength={MAX_LENGTH}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <button class="primary" type="submit" disabled={busy}>
          Send message
        </button>
        <p class={status?.error ? 'error' : 'notice'} role="status" hidden={!status}>
          {status?.text}
        </p>
      </form>
    </section>
  );
}
