import {
  CARE_TYPE_VALUES,
  RISK_KIND_VALUES,
  RISK_LEVEL_VALUES,
  type TBestInterest,
  type TCareArrangementBody,
  type TRiskBody,
  type TWishBody,
  WISH_TOPIC_VALUES,
} from '@contracts/best-interest.js';
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';
import { type Purpose, PurposeForm, usePurposefulLoad, withPurpose } from './PurposeOfUse.js';
import { Section } from './RecordParts.js';
import { serverNow } from './server-clock.js';
import './best-interest.css';

/**
 * The best-interest view of a UAC child's case (issue #22 item 5), on one screen for a best-interest
 * determination — and printable for the panel: the child, the child's wishes (history, latest first), caregivers,
 * the care arrangement over time, risks (recorded, and derived read-only from the screening, protections and the
 * age-out day), services and the case plan, hand-offs, and the timeline. Services and hand-offs are read from
 * /plan and /handoffs (issue #22 items 3–4); where those answer 404 the section says "Not available".
 */

/** GET /api/v1/cases/:id/plan, as the contract between the three branches of #22 gives it. */
type PlanView = {
  plan: {
    status: 'draft' | 'submitted' | 'approved' | 'returned';
    submittedAt: string | null;
    decidedAt: string | null;
    decidedBy: string | null;
    note: string | null;
  } | null;
  needs: { id: string; need: string; assessedOn: string; notes: string | null }[];
  services: { id: string; type: string; provider: string; dueOn: string; status: string; outcome: string | null; overdue: boolean }[];
  closure: {
    status: 'requested' | 'approved' | 'refused';
    requestedAt: string;
    decidedAt: string | null;
    decidedBy: string | null;
    reason: string | null;
  } | null;
};

/** GET /api/v1/cases/:id/handoffs, as the contract gives it. */
type HandoffsView = {
  handoffs: {
    id: string;
    welfareReferralId: string;
    recipient: { kind: string; name: string };
    status: 'sending' | 'sent' | 'acknowledged' | 'closed' | 'declined' | 'refused' | 'failed';
    sentAt: string | null;
    acknowledgedAt: string | null;
    closedAt: string | null;
    outcome: string | null;
    ackDueAt: string | null;
    escalated: boolean;
    waitingOn: 'recipient' | 'center' | null;
  }[];
};

type Loaded<T> = { state: 'loading' } | { state: 'unavailable' } | { state: 'error'; message: string } | { state: 'ready'; data: T };

const words = (s: string) => s.replace(/_/g, ' ');
const failure = (e: unknown) =>
  e instanceof ApiError ? [e.message, ...e.issues.map((i) => i.message)].join(' — ') : 'Something went wrong.';
const pick = <T extends string>(values: readonly T[], value: string, fallback: T): T => values.find((v) => v === value) ?? fallback;
const today = () => new Date(serverNow()).toLocaleDateString('en-CA');
const when = (iso: string) => new Date(iso).toLocaleString();

/** How long since an instant, in words ("3 days", "5 hours"), by the server's clock. */
function waited(since: string | null): string {
  if (!since) return '—';
  const minutes = Math.max(0, Math.round((serverNow() - new Date(since).getTime()) / 60_000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
}

/**
 * A section fed by another part of #22: 404 (the endpoint is not there on this build) shows "Not available". A
 * read that asks a purpose of use (`asksPurpose`: the plan) is sent with the one stated for this view from the
 * start; any other, if it turns out to ask one, is sent again with it.
 */
function useOptional<T>(url: string, purpose: Purpose | null, asksPurpose = false): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    const read = async (): Promise<Loaded<T>> => {
      try {
        return { state: 'ready', data: await api<T>('GET', asksPurpose && purpose ? withPurpose(url, purpose) : url) };
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return { state: 'unavailable' };
        if (e instanceof ApiError && e.code === 'purpose_required' && purpose)
          return { state: 'ready', data: await api<T>('GET', withPurpose(url, purpose)) };
        throw e;
      }
    };
    read().then(
      (l) => live && setLoaded(l),
      (e: unknown) =>
        live && setLoaded(e instanceof ApiError && e.status === 404 ? { state: 'unavailable' } : { state: 'error', message: failure(e) }),
    );
    return () => {
      live = false;
    };
  }, [url, purpose, asksPurpose]);
  return loaded;
}

function Optional<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  if (loaded.state === 'loading') return <p className="loading">Loading…</p>;
  if (loaded.state === 'unavailable') return <p className="unavailable">Not available.</p>;
  if (loaded.state === 'error') return <ErrorText>{loaded.message}</ErrorText>;
  return <>{children(loaded.data)}</>;
}

export function BestInterest({ id }: { id: string }) {
  const { data, needsPurpose, error, setPurpose, reload, purpose } = usePurposefulLoad<TBestInterest>(`/api/v1/cases/${id}/best-interest`);
  const [message, setMessage] = useState<string | null>(null);
  const plan = useOptional<PlanView>(`/api/v1/cases/${id}/plan`, purpose, true);
  const handoffs = useOptional<HandoffsView>(`/api/v1/cases/${id}/handoffs`, purpose);
  const act = useCallback(
    async (work: () => Promise<unknown>, done: string): Promise<boolean> => {
      setMessage(null);
      let ok = false;
      try {
        await work();
        setMessage(done);
        ok = true;
      } catch (e) {
        setMessage(failure(e));
      }
      await reload();
      return ok;
    },
    [reload],
  );
  if (needsPurpose)
    return (
      <PurposeForm
        onPurpose={setPurpose}
        heading="A child's best-interest view"
        submit="Open the best-interest view"
        idPrefix="bi-purpose"
      />
    );
  if (error) return <ErrorText>{error}</ErrorText>;
  if (!data) return <p className="loading">Loading the best-interest view…</p>;
  const { child } = data;
  const current = data.careArrangement.current;
  return (
    <div className="workspace best-interest">
      <p className="no-print">
        <a href={`#/cases/${id}`}>Back to case {data.caseNumber}</a>{' '}
        <button type="button" onClick={() => window.print()}>
          Print
        </button>
      </p>
      <h1>
        Best-interest view — {child.name}, case {data.caseNumber}
      </h1>
      {message && (
        <p role="status" className="notice no-print">
          {message}
        </p>
      )}
      <div className="grid">
        <Section title="Child">
          <dl className="facts">
            <dt>Name</dt>
            <dd>{child.name}</dd>
            <dt>Age</dt>
            <dd>{child.age === null ? 'unknown' : `${child.age} (born ${child.dob})`}</dd>
            <dt>Age-out day</dt>
            <dd>
              {child.turns18On
                ? `${child.turns18On}${child.daysToAgeOut !== null && child.daysToAgeOut >= 0 ? ` (in ${child.daysToAgeOut} days)` : ''}`
                : 'unknown'}
            </dd>
            <dt>Lives now</dt>
            <dd>
              {current
                ? `${words(current.type)}${current.caregiver ? ` — ${current.caregiver.name}` : ''} since ${current.from}`
                : 'not recorded'}
            </dd>
          </dl>
        </Section>
        <Section title="Wishes">
          {data.wishes.length === 0 ? (
            <p>No wish recorded yet.</p>
          ) : (
            <ul aria-label="The child's wishes, latest first">
              {data.wishes.map((w) => (
                <li key={w.id}>
                  <strong>{words(w.topic)}</strong>: “{w.wish}” — {w.expressedOn},{' '}
                  {w.voice === 'child_own_words' ? "the child's own words" : `through an interpreter (${w.interpreter ?? ''})`}; recorded by{' '}
                  {w.recordedBy}
                </li>
              ))}
            </ul>
          )}
          <WishForm onAdd={(body) => act(() => api('POST', `/api/v1/cases/${id}/best-interest/wishes`, body), 'Wish recorded.')} />
        </Section>
        <Section title="Caregivers">
          {data.caregivers.length === 0 ? (
            <p>No caregiver, sponsor or parent recorded in the family section.</p>
          ) : (
            <ul aria-label="Caregivers, sponsors and parents">
              {data.caregivers.map((c) => (
                <li key={c.relationshipId}>
                  {words(c.type)}: {c.name} {c.since || c.until ? `(${c.since ?? '…'} – ${c.until ?? 'now'})` : ''} — {c.verification}
                  {c.current ? '' : ', ended'}
                  {c.protectedSponsor && <span className="badge"> protected sponsor</span>}
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title="Care arrangement">
          <p>
            Now:{' '}
            <strong>
              {current
                ? `${words(current.type)}${current.caregiver ? ` with ${current.caregiver.name}` : ''} since ${current.from}`
                : 'not recorded'}
            </strong>
          </p>
          {data.careArrangement.history.length > 0 && (
            <table aria-label="Care arrangements over time">
              <thead>
                <tr>
                  <th scope="col">Arrangement</th>
                  <th scope="col">Caregiver</th>
                  <th scope="col">From</th>
                  <th scope="col">Until</th>
                  <th scope="col">Notes</th>
                </tr>
              </thead>
              <tbody>
                {data.careArrangement.history.map((a) => (
                  <tr key={a.id}>
                    <td>{words(a.type)}</td>
                    <td>
                      {a.caregiver ? `${a.caregiver.name} (${words(a.caregiver.type)})` : '—'}
                      {a.caregiver?.protectedSponsor && <span className="badge"> protected sponsor</span>}
                    </td>
                    <td>{a.from}</td>
                    <td>{a.until ?? 'now'}</td>
                    <td>{a.notes ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <CareForm
            caregivers={data.caregivers.filter((c) => c.current)}
            onAdd={(body) =>
              act(() => api('POST', `/api/v1/cases/${id}/best-interest/care-arrangements`, body), 'Care arrangement recorded.')
            }
          />
        </Section>
        <Section title="Risks">
          <h3>Known to the system (read-only)</h3>
          {data.risks.derived.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul aria-label="Risks the system knows">
              {data.risks.derived.map((r) => (
                <li key={`${r.source}-${r.kind}-${r.reference ?? ''}`}>
                  <span className="badge">{words(r.source)}</span> {r.label}
                  {r.reference ? ` (${r.reference})` : ''} — {r.on}
                </li>
              ))}
            </ul>
          )}
          <h3>Recorded</h3>
          {data.risks.recorded.length === 0 ? (
            <p>No risk factor recorded.</p>
          ) : (
            <ul aria-label="Recorded risk factors, latest first">
              {data.risks.recorded.map((r) => (
                <li key={r.id}>
                  <span className={`badge risk-${r.level}`}>{r.level}</span> {words(r.kind)} — noted {r.notedOn}
                  {r.notes ? `: ${r.notes}` : ''}; recorded by {r.recordedBy}
                </li>
              ))}
            </ul>
          )}
          <RiskForm onAdd={(body) => act(() => api('POST', `/api/v1/cases/${id}/best-interest/risks`, body), 'Risk recorded.')} />
        </Section>
        <Section title="Services">
          <Optional loaded={plan}>
            {(p) => (
              <>
                <p>Case plan: {p.plan ? <strong>{p.plan.status}</strong> : 'none yet'}</p>
                {p.services.length === 0 ? (
                  <p>No service planned.</p>
                ) : (
                  <table aria-label="Services planned">
                    <thead>
                      <tr>
                        <th scope="col">Service</th>
                        <th scope="col">Provider</th>
                        <th scope="col">Status</th>
                        <th scope="col">Due</th>
                        <th scope="col">Outcome</th>
                      </tr>
                    </thead>
                    <tbody>
                      {p.services.map((s) => (
                        <tr key={s.id}>
                          <td>{words(s.type)}</td>
                          <td>{s.provider}</td>
                          <td>{words(s.status)}</td>
                          <td>
                            {s.dueOn}
                            {s.overdue && <span className="badge late"> overdue</span>}
                          </td>
                          <td>{s.outcome ?? ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </>
            )}
          </Optional>
        </Section>
        <Section title="Hand-offs">
          <Optional loaded={handoffs}>
            {(h) =>
              h.handoffs.length === 0 ? (
                <p>No hand-off.</p>
              ) : (
                <table aria-label="Hand-offs to other organisations">
                  <thead>
                    <tr>
                      <th scope="col">Recipient</th>
                      <th scope="col">Status</th>
                      <th scope="col">Waited</th>
                      <th scope="col">Who must act</th>
                    </tr>
                  </thead>
                  <tbody>
                    {h.handoffs.map((x) => (
                      <tr key={x.id}>
                        <td>
                          {x.recipient.name} ({words(x.recipient.kind)})
                        </td>
                        <td>
                          {x.status}
                          {x.escalated && <span className="badge late"> escalated</span>}
                        </td>
                        <td>{x.status === 'closed' ? '—' : waited(x.acknowledgedAt ?? x.sentAt)}</td>
                        <td>{x.waitingOn === 'recipient' ? x.recipient.name : x.waitingOn === 'center' ? 'the center' : 'nobody'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )
            }
          </Optional>
        </Section>
      </div>
      <Section title="Timeline">
        <ol className="timeline" aria-label="Timeline, oldest first">
          {data.timeline.map((e) => (
            <li key={`${e.at}-${e.source}-${e.kind}-${e.summary}`}>
              <time dateTime={e.at}>{when(e.at)}</time> {e.summary}
            </li>
          ))}
        </ol>
      </Section>
    </div>
  );
}

function WishForm({ onAdd }: { onAdd: (body: TWishBody) => Promise<boolean> }) {
  const blank = (): TWishBody => ({ topic: 'where_to_live', wish: '', expressedOn: today(), voice: 'child_own_words' });
  const [form, setForm] = useState<TWishBody>(blank);
  return (
    <form
      className="inline-form no-print"
      onSubmit={(e) => {
        e.preventDefault();
        const { interpreter, ...rest } = form;
        void onAdd(form.voice === 'through_interpreter' && interpreter ? { ...rest, interpreter } : rest).then(
          (ok) => ok && setForm(blank()),
        );
      }}
    >
      <h3>Add a wish</h3>
      <label htmlFor="wish-topic">About</label>
      <select
        id="wish-topic"
        value={form.topic}
        onChange={(e) => setForm({ ...form, topic: pick(WISH_TOPIC_VALUES, e.target.value, 'other') })}
      >
        {WISH_TOPIC_VALUES.map((t) => (
          <option key={t} value={t}>
            {words(t)}
          </option>
        ))}
      </select>
      <label htmlFor="wish-text">What the child says they want</label>
      <textarea id="wish-text" value={form.wish} onChange={(e) => setForm({ ...form, wish: e.target.value })} required rows={2} />
      <label htmlFor="wish-on">Said on</label>
      <input
        id="wish-on"
        type="date"
        value={form.expressedOn}
        onChange={(e) => setForm({ ...form, expressedOn: e.target.value })}
        required
      />
      <label htmlFor="wish-voice">In whose words</label>
      <select
        id="wish-voice"
        value={form.voice}
        onChange={(e) => setForm({ ...form, voice: e.target.value === 'through_interpreter' ? 'through_interpreter' : 'child_own_words' })}
      >
        <option value="child_own_words">the child's own words</option>
        <option value="through_interpreter">through an interpreter</option>
      </select>
      {form.voice === 'through_interpreter' && (
        <>
          <label htmlFor="wish-interpreter">Language and interpreter</label>
          <input
            id="wish-interpreter"
            value={form.interpreter ?? ''}
            onChange={(e) => setForm({ ...form, interpreter: e.target.value })}
            required
          />
        </>
      )}
      <button type="submit">Add wish</button>
    </form>
  );
}

function CareForm({
  caregivers,
  onAdd,
}: {
  caregivers: TBestInterest['caregivers'];
  onAdd: (body: TCareArrangementBody) => Promise<boolean>;
}) {
  const [type, setType] = useState<(typeof CARE_TYPE_VALUES)[number]>('with_sponsor');
  const [caregiver, setCaregiver] = useState('');
  const [from, setFrom] = useState(today);
  const [notes, setNotes] = useState('');
  return (
    <form
      className="inline-form no-print"
      onSubmit={(e) => {
        e.preventDefault();
        void onAdd({
          type,
          from,
          ...(caregiver ? { caregiverRelationshipId: caregiver } : {}),
          ...(notes.trim() ? { notes } : {}),
        }).then((ok) => ok && setNotes(''));
      }}
    >
      <h3>Record a change of care arrangement</h3>
      <label htmlFor="care-type">Arrangement</label>
      <select id="care-type" value={type} onChange={(e) => setType(pick(CARE_TYPE_VALUES, e.target.value, 'other'))}>
        {CARE_TYPE_VALUES.map((t) => (
          <option key={t} value={t}>
            {words(t)}
          </option>
        ))}
      </select>
      <label htmlFor="care-caregiver">Caregiver</label>
      <select id="care-caregiver" value={caregiver} onChange={(e) => setCaregiver(e.target.value)}>
        <option value="">none</option>
        {caregivers.map((c) => (
          <option key={c.relationshipId} value={c.relationshipId}>
            {c.name} ({words(c.type)})
          </option>
        ))}
      </select>
      <label htmlFor="care-from">From</label>
      <input id="care-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} required />
      <label htmlFor="care-notes">Notes (optional)</label>
      <input id="care-notes" value={notes} onChange={(e) => setNotes(e.target.value)} />
      <button type="submit">Record arrangement</button>
    </form>
  );
}

function RiskForm({ onAdd }: { onAdd: (body: TRiskBody) => Promise<boolean> }) {
  const [kind, setKind] = useState<(typeof RISK_KIND_VALUES)[number]>('neglect');
  const [level, setLevel] = useState<(typeof RISK_LEVEL_VALUES)[number]>('medium');
  const [notedOn, setNotedOn] = useState(today);
  const [notes, setNotes] = useState('');
  return (
    <form
      className="inline-form no-print"
      onSubmit={(e) => {
        e.preventDefault();
        void onAdd({ kind, level, notedOn, ...(notes.trim() ? { notes } : {}) }).then((ok) => ok && setNotes(''));
      }}
    >
      <h3>Add a risk</h3>
      <label htmlFor="risk-kind">Kind of risk</label>
      <select id="risk-kind" value={kind} onChange={(e) => setKind(pick(RISK_KIND_VALUES, e.target.value, 'other'))}>
        {RISK_KIND_VALUES.map((k) => (
          <option key={k} value={k}>
            {words(k)}
          </option>
        ))}
      </select>
      <label htmlFor="risk-level">Level</label>
      <select id="risk-level" value={level} onChange={(e) => setLevel(pick(RISK_LEVEL_VALUES, e.target.value, 'medium'))}>
        {RISK_LEVEL_VALUES.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
      <label htmlFor="risk-on">Noted on</label>
      <input id="risk-on" type="date" value={notedOn} onChange={(e) => setNotedOn(e.target.value)} required />
      <label htmlFor="risk-notes">Notes (optional)</label>
      <input id="risk-notes" value={notes} onChange={(e) => setNotes(e.target.value)} />
      <button type="submit">Add risk</button>
    </form>
  );
}
