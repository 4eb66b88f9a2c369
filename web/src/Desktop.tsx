import type { IntakeForms as Forms } from '@contracts/intake-forms.js';
import type { AgentState, ContactHistory, Reservation, Task } from '@contracts/views.js';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from './api.js';
import { CallbackInHand } from './CallbackInHand.js';
import { CallParties } from './CallParties.js';
import { ErrorText } from './ErrorText.js';
import { IntakeForm, type Saved } from './IntakeForm.js';
import { OfflineBanner, useRealtime } from './realtime.js';
import { isKey, SoftphonePanel, useSoftphone } from './Softphone.js';
import { serverNow } from './server-clock.js';
import { VoicemailPlayer } from './Voicemail.js';

type Offer = Reservation;
type Me = AgentState;

/** A short tone on a new offer, if the agent turned it on (off by default: many floors are quiet). */
function beep() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = 880;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  } catch {
    // No audio device: the visual offer and the live region still announce it.
  }
}

/** What a task is, as the agent reads it: a call, a callback to make, a voicemail to work, a work item. */
const kindOf = (t: Task | null | undefined): string =>
  t?.attributes.voicemail === true
    ? 'Voicemail'
    : t?.attributes.callback === true
      ? 'Callback'
      : t?.channel === 'voice'
        ? 'Call'
        : 'Work item';

const since = (iso: string, now: number) => {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** What the agent sees of a contact before accepting it: who, which line, how they came through the IVR, how long they waited. */

function ScreenPop({ task, now }: { task: Task; now: number }) {
  const a = task.attributes;
  const [history, setHistory] = useState<ContactHistory | null>(null);
  const from = typeof a.from === 'string' ? a.from : undefined;
  useEffect(() => {
    if (!from) return;
    api<ContactHistory>('GET', `/api/v1/contacts/history?number=${encodeURIComponent(from)}`).then(setHistory, () => setHistory(null));
  }, [from]);
  const rows: [string, unknown][] = [
    ['Caller', a.from ?? a.caller],
    ['Line', a.line ?? a.to],
    ['Language', a.language],
    ['Reason', a.reason ?? a.topic],
    ['Case', a.caseNumber],
    ['Queue', task.queueId],
    ['Waited', since(task.arrivedAt, now)],
  ];
  return (
    <>
      {history && (
        <p className="history">
          {history.total === 0
            ? 'No earlier contacts from this number.'
            : `${history.total} earlier contact${history.total === 1 ? '' : 's'} from this number; last ${new Date(history.contacts[0]?.at ?? '').toLocaleString()} (${history.contacts[0]?.disposition.replace(/_/g, ' ')})${history.contacts.some((c) => c.case) ? `; cases ${history.contacts.flatMap((c) => (c.case ? [c.case.caseNumber] : [])).join(', ')}` : ''}.`}
        </p>
      )}
      <dl className="pop">
        {rows
          .filter(([, v]) => v !== undefined && v !== null && v !== '')
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{String(v)}</dd>
            </div>
          ))}
      </dl>
    </>
  );
}

const CALLER_ZONES = [
  ['America/New_York', 'Eastern'],
  ['America/Chicago', 'Central'],
  ['America/Denver', 'Mountain'],
  ['America/Phoenix', 'Arizona'],
  ['America/Los_Angeles', 'Pacific'],
  ['America/Anchorage', 'Alaska'],
  ['Pacific/Honolulu', 'Hawaii'],
  ['America/Puerto_Rico', 'Atlantic (Puerto Rico)'],
] as const;

/** Wrap-up: a disposition (from configuration) and notes, then the agent is free again. */
function WrapUp({
  task,
  forms,
  saved,
  onDone,
}: {
  task: Task;
  forms: Forms | null;
  saved: Saved | undefined;
  onDone: (disposition: string, notes: string, callback?: { at: string; timeZone?: string }) => void;
}) {
  const [disposition, setDisposition] = useState(saved ? 'report_taken' : '');
  const [notes, setNotes] = useState('');
  const [callbackAt, setCallbackAt] = useState('');
  const [callerZone, setCallerZone] = useState('');
  const needsTime = disposition === 'callback_scheduled';
  const id = `wrap-${task.id}`;
  return (
    <form
      className="wrapup"
      onSubmit={(e) => {
        e.preventDefault();
        // The time picked is the agent's local time; the server gets it with its offset and checks calling hours.
        if (disposition && (!needsTime || callbackAt))
          onDone(
            disposition,
            notes,
            needsTime ? { at: new Date(callbackAt).toISOString(), ...(callerZone ? { timeZone: callerZone } : {}) } : undefined,
          );
      }}
    >
      <label htmlFor={`${id}-disposition`}>Disposition (required)</label>
      <select
        id={`${id}-disposition`}
        data-wrapup-disposition
        value={disposition}
        onChange={(e) => setDisposition(e.target.value)}
        required
      >
        <option value="">Choose…</option>
        {(forms?.dispositions ?? []).map((d) => (
          <option key={d.code} value={d.code}>
            {d.label}
          </option>
        ))}
      </select>
      {needsTime && (
        <>
          <label htmlFor={`${id}-callback-at`}>Call back at (your local time; inside calling hours)</label>
          <input
            id={`${id}-callback-at`}
            type="datetime-local"
            required
            value={callbackAt}
            onChange={(e) => setCallbackAt(e.target.value)}
          />
          <label htmlFor={`${id}-callback-zone`}>The caller’s time zone, if they said (calling hours follow it)</label>
          <select id={`${id}-callback-zone`} value={callerZone} onChange={(e) => setCallerZone(e.target.value)}>
            <option value="">Not said (the center’s)</option>
            {CALLER_ZONES.map(([zone, label]) => (
              <option key={zone} value={zone}>
                {label}
              </option>
            ))}
          </select>
        </>
      )}
      <label htmlFor={`${id}-notes`}>Notes</label>
      <textarea id={`${id}-notes`} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
      <button type="submit" disabled={!disposition || (needsTime && !callbackAt)}>
        End wrap-up <kbd>W</kbd>
      </button>
    </form>
  );
}

export function Desktop() {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [announce, setAnnounce] = useState('');
  const [now, setNow] = useState(serverNow);
  const [sound, setSound] = useState(() => window.localStorage.getItem('switchboard.offerSound') === 'on');
  // Contacts whose wrap-up ended by itself before a disposition was chosen: the form stays until one is.
  const [undisposed, setUndisposed] = useState<Record<string, Task>>({});
  const soundRef = useRef(sound);
  soundRef.current = sound;
  const disposed = useRef(new Set<string>());
  const [forms, setForms] = useState<Forms | null>(null);
  const [saved, setSaved] = useState<Record<string, Saved>>({});
  const phone = useSoftphone();
  /** A call offered while the softphone rings is that ringing call: the offer is answered (or declined) on the phone. */
  const phoneRinging = phone.call?.state === 'ringing';
  const ringsHere = useCallback((o: Offer) => o.task?.channel === 'voice' && phoneRinging, [phoneRinging]);

  useEffect(() => {
    api<Forms>('GET', '/api/v1/intake/forms').then(setForms, () => setForms(null));
  }, []);

  const refresh = useCallback(async () => {
    try {
      const next = await api<Me>('GET', '/api/v1/routing/me');
      // Countdowns and times in state run on the server's clock: a browser whose clock is off shows them right.
      setNow(serverNow());
      setMe((prev) => {
        const fresh = next.offers.filter((o) => !prev?.offers.some((p) => p.id === o.id));
        if (fresh[0]) {
          setAnnounce(
            `Incoming ${kindOf(fresh[0].task).toLowerCase()} from ${fresh[0].task?.queueId ?? 'a queue'}. Press A to accept, R to reject.`,
          );
          if (soundRef.current) beep();
        }
        const gone = (prev?.tasks ?? []).filter(
          (t) => t.status === 'wrapping' && !next.tasks.some((n) => n.id === t.id) && !disposed.current.has(t.id),
        );
        if (gone.length > 0) setUndisposed((u) => ({ ...u, ...Object.fromEntries(gone.map((g) => [g.id, g])) }));
        return next;
      });
    } catch (e) {
      if (e instanceof ApiError) setError(e.message);
    }
  }, []);

  const status = useRealtime(
    {
      'routing.offer': () => void refresh(),
      'routing.offer.ended': () => void refresh(),
      'routing.task': () => void refresh(),
      'routing.agent': () => void refresh(),
    },
    () => void refresh(),
  );

  useEffect(() => {
    const tick = window.setInterval(() => setNow(serverNow()), 1000);
    return () => window.clearInterval(tick);
  }, []);

  const act = useCallback(
    async (work: () => Promise<unknown>) => {
      setError(null);
      try {
        await work();
      } catch (e) {
        setError(e instanceof ApiError ? e.message : 'Something went wrong.');
      }
      await refresh();
    },
    [refresh],
  );

  // Answering the ringing softphone accepts the offer (call control tells the ACD); declining it rejects the offer.
  const accept = useCallback(
    (o: Offer) => (ringsHere(o) ? phone.answer() : act(() => api('POST', `/api/v1/routing/reservations/${o.id}/accept`, {}))),
    [act, phone.answer, ringsHere],
  );
  const reject = useCallback(
    (o: Offer) => (ringsHere(o) ? phone.decline() : act(() => api('POST', `/api/v1/routing/reservations/${o.id}/reject`, {}))),
    [act, phone.decline, ringsHere],
  );
  const complete = useCallback((t: Task) => act(() => api('POST', `/api/v1/routing/tasks/${t.id}/complete`, {})), [act]);
  const wrapUpDone = useCallback(
    (t: Task, disposition: string, notes: string, callback: { at: string; timeZone?: string } | undefined, stillWrapping = true) =>
      act(async () => {
        const intake = saved[t.id];
        await api('POST', `/api/v1/routing/tasks/${t.id}/disposition`, {
          disposition,
          ...(notes.trim() ? { notes } : {}),
          ...(callback ? { callbackAt: callback.at, ...(callback.timeZone ? { callbackTimeZone: callback.timeZone } : {}) } : {}),
          ...(intake ? { caseId: intake.caseId, reportId: intake.reportId } : {}),
        });
        disposed.current.add(t.id);
        setUndisposed((u) => Object.fromEntries(Object.entries(u).filter(([id]) => id !== t.id)));
        if (stillWrapping) await api('POST', `/api/v1/routing/tasks/${t.id}/wrap-up-done`, {});
      }),
    [act, saved],
  );
  const transfer = useCallback(
    (t: Task, queueId: string) => act(() => api('POST', `/api/v1/routing/tasks/${t.id}/transfer`, { queueId })),
    [act],
  );

  // Keyboard shortcuts: A accept, R reject, C complete, P play or pause a voicemail, W end wrap-up — never while typing in a field.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (event.ctrlKey || event.metaKey || event.altKey || !me) return;
      const key = event.key.toLowerCase();
      const offer = me.offers[0];
      if (phone.call && phone.call.state !== 'ringing') {
        // On a softphone call: M mute, H hold, X hang up, and the keypad's keys.
        if (key === 'm') return phone.toggleMute();
        if (key === 'h') return phone.toggleHold();
        if (key === 'x') return phone.hangup();
        if (isKey(event.key)) return phone.key(event.key);
      }
      if (key === 'a' && offer) void accept(offer);
      else if (key === 'r' && offer) void reject(offer);
      else if (key === 'c') {
        const t = me.tasks.find((x) => x.status === 'assigned');
        if (t) void complete(t);
      } else if (key === 'p') {
        // The voicemail in hand: play or pause it.
        const audio = document.querySelector<HTMLAudioElement>('audio[data-voicemail]');
        if (audio) {
          event.preventDefault();
          if (audio.paused) void audio.play().catch(() => undefined);
          else audio.pause();
        }
      } else if (key === 'w') {
        // Wrap-up needs a disposition: W takes the agent to it, and Enter there ends the wrap-up.
        const select = document.querySelector<HTMLSelectElement>('[data-wrapup-disposition]');
        if (select) {
          event.preventDefault();
          select.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [me, accept, reject, complete, phone]);

  if (!me) return <p className="loading">Loading your desk…</p>;
  return (
    <div className="desktop">
      <OfflineBanner status={status} />
      <div aria-live="assertive" className="visually-hidden">
        {announce}
      </div>
      {error && <ErrorText>{error}</ErrorText>}
      <section aria-labelledby="activity-heading" className="activity">
        <h1 id="activity-heading">My activity</h1>
        <label htmlFor="activity">Activity</label>
        <select
          id="activity"
          value={me.activity}
          onChange={(e) => void act(() => api('PUT', '/api/v1/routing/me/activity', { activity: e.target.value }))}
        >
          {me.activities.map((a) => (
            <option key={a.name} value={a.name}>
              {a.name}
            </option>
          ))}
        </select>
        <label className="inline">
          <input
            className="check"
            type="checkbox"
            checked={sound}
            onChange={(e) => {
              setSound(e.target.checked);
              window.localStorage.setItem('switchboard.offerSound', e.target.checked ? 'on' : 'off');
            }}
          />{' '}
          Sound on offers
        </label>
        <p>Wrap-up ends by itself after {Math.round(me.wrapUpSeconds / 60)} minutes, or when you end it.</p>
        <p>
          <span className={me.available ? 'badge ok' : 'badge'}>{me.available ? 'Taking work' : 'Not taking work'}</span> for{' '}
          <time>{since(me.activitySince, now)}</time>
        </p>
      </section>

      <SoftphonePanel phone={phone} />

      <section aria-labelledby="offers-heading">
        <h2 id="offers-heading">Offers</h2>
        {me.offers.length === 0 && <p>No offers ringing.</p>}
        {me.offers.map((o) => {
          const left = Math.max(0, Math.ceil((Date.parse(o.timeoutAt) - now) / 1000));
          return (
            <article key={o.id} className="offer" data-task={o.task?.id} aria-label={`Offer from ${o.task?.queueId ?? 'a queue'}`}>
              <h3>
                {kindOf(o.task)} from {o.task?.queueId}
              </h3>
              {o.task?.attributes.callback === true && (
                <p>When you accept, your phone rings first; once you answer, Switchboard dials the caller for you.</p>
              )}
              {ringsHere(o) && <p className="ringing">Your softphone is ringing: accepting answers the call.</p>}
              {o.task && <ScreenPop task={o.task} now={now} />}
              <p>
                <strong>{left}</strong> seconds to answer
              </p>
              <button type="button" className="primary" onClick={() => void accept(o)}>
                Accept <kbd>A</kbd>
              </button>{' '}
              <button type="button" onClick={() => void reject(o)}>
                Reject <kbd>R</kbd>
              </button>
            </article>
          );
        })}
      </section>

      <section aria-labelledby="tasks-heading">
        <h2 id="tasks-heading">In hand</h2>
        {me.tasks.length === 0 && <p>Nothing in hand.</p>}
        <ul className="tasks">
          {me.tasks.map((t) => {
            const form = forms?.forms.find((f) => f.queues.includes(t.queueId));
            const intake = saved[t.id];
            return (
              <li key={t.id}>
                <div className="task-head">
                  <span>
                    {kindOf(t)} from {t.queueId} — {t.status === 'wrapping' ? 'wrap-up' : 'in progress'}
                    {t.answeredAt ? ` (${since(t.answeredAt, now)})` : ''}
                  </span>
                  {t.status === 'assigned' && (
                    <span>
                      <label className="visually-hidden" htmlFor={`transfer-${t.id}`}>
                        Transfer to queue
                      </label>
                      <select
                        id={`transfer-${t.id}`}
                        value=""
                        onChange={(e) => {
                          if (e.target.value) void transfer(t, e.target.value);
                        }}
                      >
                        <option value="">Transfer to…</option>
                        {me.queues
                          .filter((q) => q !== t.queueId)
                          .map((q) => (
                            <option key={q} value={q}>
                              {q}
                            </option>
                          ))}
                      </select>{' '}
                      <button type="button" onClick={() => void complete(t)}>
                        Complete <kbd>C</kbd>
                      </button>
                    </span>
                  )}
                </div>
                {t.attributes.voicemail === true && <VoicemailPlayer taskId={t.id} />}
                {t.channel === 'voice' && t.status === 'assigned' && t.attributes.voicemail !== true && <CallParties taskId={t.id} />}
                {t.attributes.callback === true && t.status === 'assigned' && <CallbackInHand taskId={t.id} />}
                {t.attributes.callback === true && t.status === 'assigned' && (
                  <p role="status">
                    Callback: answer your phone; Switchboard then dials the caller from the center’s number. If you reach their voicemail,
                    choose “Callback reached voicemail” in wrap-up and it is tried again.
                  </p>
                )}
                {intake ? (
                  <p className="saved" role="status">
                    Intake saved: report {intake.reference}, case {intake.caseNumber}
                    {intake.callbackCode ? `. Give the caller this callback code: ${intake.callbackCode}` : ''}
                  </p>
                ) : (
                  form && forms && <IntakeForm form={form} taskId={t.id} onSaved={(s2) => setSaved((m) => ({ ...m, [t.id]: s2 }))} />
                )}
                {t.status === 'wrapping' && (
                  <WrapUp task={t} forms={forms} saved={intake} onDone={(d, n, at) => void wrapUpDone(t, d, n, at)} />
                )}
              </li>
            );
          })}
        </ul>
        {Object.values(undisposed).map((t) => (
          <div key={t.id} className="undisposed">
            <p>
              Wrap-up of the {t.channel === 'voice' ? 'call' : 'work item'} from {t.queueId} ended by itself: choose its disposition.
            </p>
            <WrapUp task={t} forms={forms} saved={saved[t.id]} onDone={(d, n, at) => void wrapUpDone(t, d, n, at, false)} />
          </div>
        ))}
      </section>
    </div>
  );
}
