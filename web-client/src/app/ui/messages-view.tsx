import { listMessages, sendMessage, type CommunicationResource } from '../api/messaging.js';
import { session } from '../api/session.js';
import { useLoad, useNow } from '../hooks.js';
import { MessageForm, MessageList } from './message-parts.js';
import { ViewHeading } from './view-heading.js';
import { Failure } from './worklist-view.js';

/** Secure messages between a patient and their care team (FHIR Communication). */
export function MessagesView() {
  const patientId = session.current()?.patientId ?? '';
  const now = useNow(60_000);
  const messages = useLoad(() => listMessages(patientId), [patientId], 30_000);
  const mine = (m: CommunicationResource) => m.sender?.reference === `Patient/${patientId}`;

  return (
    <section>
      <ViewHeading title="Messages" />
      <p class="hint">
        For an emergency, call your local emergency number. Messages are read during clinic hours.
      </p>
      <Failure error={messages.error} what="messages" />
      {messages.data?.length === 0 ? <p class="card">No messages yet.</p> : null}
      <MessageList
        messages={messages.data ?? []}
        now={now}
        label="Conversation with your care team"
        ownSide={mine}
        senderOf={(m) => (mine(m) ? 'You' : (m.sender?.display ?? 'Care team'))}
      />
      <MessageForm
        class="card"
        id="message-text"
        label="New message to your care team"
        button="Send message"
        emptyText="Write a message first."
        sentText="Message sent. Your care team will reply here."
        send={async (body) => {
          await sendMessage(patientId, body);
          messages.reload();
        }}
      />
    </section>
  );
}
