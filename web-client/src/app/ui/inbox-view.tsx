import { displayName } from '../api/fhir.js';
import {
  isFromPatient,
  listMessages,
  replyToPatient,
  type CommunicationResource,
} from '../api/messaging.js';
import { listPatients } from '../api/patients.js';
import { session } from '../api/session.js';
import { useLoad, useNow } from '../hooks.js';
import { formatClock } from '../model/format.js';
import { hrefOf } from '../router.js';
import { MessageForm, MessageList } from './message-parts.js';
import { usePatientLabel } from './use-patient-label.js';
import { ViewHeading } from './view-heading.js';
import { Failure } from './worklist-view.js';

/** One patient's conversation, summarised for the inbox list. */
interface ThreadSummary {
  patientId: string;
  name: string;
  last?: CommunicationResource;
  awaitingReply: boolean;
}

async function loadThreads(): Promise<ThreadSummary[]> {
  const patients = await listPatients();
  const threads = await Promise.all(
    patients.map(async (p) => {
      const patientId = p.id ?? '';
      const messages = await listMessages(patientId);
      const last = messages[messages.length - 1];

      return {
        patientId,
        name: displayName(p, patientId),
        last,
        awaitingReply: last !== undefined && isFromPatient(last, patientId),
      };
    }),
  );

  // Conversations waiting for an answer first, then the most recent.
  return threads
    .filter((t) => t.last !== undefined)
    .sort(
      (a, b) =>
        Number(b.awaitingReply) - Number(a.awaitingReply) ||
        Date.parse(b.last?.sent ?? '') - Date.parse(a.last?.sent ?? ''),
    );
}

/**
 * The care team's side of secure messages: the conversations of the patients a nurse or
 * clinician may see (the hub narrows by unit and care team), and a reply to one of them.
 */
export function InboxView({ patientId }: { patientId?: string }) {
  const now = useNow(60_000);
  const threads = useLoad(() => loadThreads(), [], 60_000);

  return (
    <section>
      <ViewHeading title="Messages" />
      <div class="two-col">
        <section class="card" aria-labelledby="threads-title">
          <h2 id="threads-title">Conversations</h2>
          <Failure error={threads.error} what="conversations" />
          {threads.data?.length === 0 ? <p>No messages from your patients.</p> : null}
          <ul class="messages">
            {(threads.data ?? []).map((t) => (
              <li key={t.patientId} data-patient-id={t.patientId}>
                <a
                  href={hrefOf(`inbox/${encodeURIComponent(t.patientId)}`)}
                  aria-current={t.patientId === patientId ? 'true' : undefined}
                >
                  {t.name}
                </a>{' '}
                {t.awaitingReply ? <span class="badge">Awaiting reply</span> : null}
                <div class="meta">
                  Last message {t.last?.sent ? formatClock(t.last.sent, now) : ''}
                </div>
              </li>
            ))}
          </ul>
        </section>
        {patientId ? (
          <Thread patientId={patientId} now={now} onSent={threads.reload} />
        ) : (
          <p class="card">Choose a conversation to read it and reply.</p>
        )}
      </div>
    </section>
  );
}

function Thread(props: { patientId: string; now: number; onSent: () => void }) {
  const { patientId, now } = props;
  const name = usePatientLabel(patientId);
  const messages = useLoad(() => listMessages(patientId), [patientId], 30_000);

  return (
    <section class="card" aria-labelledby="thread-title">
      <h2 id="thread-title">Conversation with {name}</h2>
      <Failure error={messages.error} what="messages" />
      {messages.data?.length === 0 ? <p>No messages yet.</p> : null}
      <MessageList
        messages={messages.data ?? []}
        now={now}
        label={`Messages with ${name}`}
        ownSide={(m) => !isFromPatient(m, patientId)}
        senderOf={(m) => (isFromPatient(m, patientId) ? name : (m.sender?.display ?? 'Care team'))}
      />
      <MessageForm
        id="reply-text"
        label={`Reply to ${name}`}
        button="Send reply"
        emptyText="Write a reply first."
        sentText="Reply sent."
        send={async (body) => {
          const me = session.current();
          await replyToPatient(patientId, body, {
            practitionerId: me?.practitionerId,
            displayName: me?.displayName,
          });
          messages.reload();
          props.onSent();
        }}
      />
    </section>
  );
}
