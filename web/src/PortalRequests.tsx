import type { AgencyRequest, AgencyRequestList, AnsweredRequest } from '@contracts/views.js';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, api, type FieldIssue } from './api.js';
import { ErrorText, IssueList } from './ErrorText.js';
import { serverNow } from './server-clock.js';

/** Requests from the center to the officer's agency: open ones first by deadline, each with a reply form. */

const OUTCOMES: [string, string][] = [
  ['seen_well', 'Seen — no concern'],
  ['welfare_concern', 'Seen — welfare concern'],
  ['located', 'Located'],
  ['not_located', 'Not located'],
  ['unable', 'Could not act'],
  ['other', 'Other'],
];

function timeLeft(dueAt: string, now: number): string {
  const ms = Date.parse(dueAt) - now;
  const abs = Math.abs(ms);
  const text =
    abs >= 3_600_000 ? `${Math.floor(abs / 3_600_000)} h ${Math.floor((abs % 3_600_000) / 60_000)} min` : `${Math.floor(abs / 60_000)} min`;
  return ms >= 0 ? `due in ${text}` : `overdue by ${text}`;
}

function Reply({ request, onDone }: { request: AgencyRequest; onDone: (message: string) => void }) {
  const [form, setForm] = useState<Record<string, string>>({ outcome: request.request.kind === 'welfare_check' ? 'seen_well' : 'located' });
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const v = (k: string) => form[k]?.trim() || undefined;
  const send = async (event: FormEvent) => {
    event.preventDefault();
    setIssues([]);
    const location = { line1: v('line1'), city: v('city'), state: v('state'), zip: v('zip') };
    try {
      const answered = await api<AnsweredRequest>('POST', `/api/v1/portal/requests/${request.id}/answer`, {
        outcome: form.outcome,
        notes: form.notes ?? '',
        officer: { name: v('officerName'), badge: v('badge') },
        ...(Object.values(location).some(Boolean) ? { location } : {}),
        ...(v('observedAt') ? { observedAt: new Date(form.observedAt as string).toISOString() } : {}),
      });
      onDone(`Answer to ${request.reference} sent (recorded as ${answered.reportReference}).`);
    } catch (e) {
      if (e instanceof ApiError) setIssues(e.issues.length ? e.issues : [{ path: '', code: e.code, message: e.message }]);
    }
  };
  const input = (key: string, label: string, type = 'text') => (
    <div className="field">
      <label htmlFor={`r-${request.id}-${key}`}>{label}</label>
      <input
        id={`r-${request.id}-${key}`}
        type={type}
        value={form[key] ?? ''}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      />
    </div>
  );
  return (
    <form onSubmit={(e) => void send(e)} aria-label={`Answer ${request.reference}`}>
      <IssueList title="Not sent:" issues={issues} what="answer" />
      <label htmlFor={`r-${request.id}-outcome`}>Outcome</label>
      <select id={`r-${request.id}-outcome`} value={form.outcome} onChange={(e) => setForm({ ...form, outcome: e.target.value })}>
        {OUTCOMES.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      <div className="field">
        <label htmlFor={`r-${request.id}-notes`}>What you found (required)</label>
        <textarea
          id={`r-${request.id}-notes`}
          rows={3}
          value={form.notes ?? ''}
          onChange={(e) => setForm({ ...form, notes: e.target.value })}
        />
      </div>
      <fieldset>
        <legend>Where the person was found, if somewhere else</legend>
        {input('line1', 'Street')}
        {input('city', 'City')}
        {input('state', 'State')}
        {input('zip', 'ZIP code')}
        {input('observedAt', 'When', 'datetime-local')}
      </fieldset>
      {input('officerName', 'Your name')}
      {input('badge', 'Badge number')}
      <button type="submit" className="primary">
        Send answer
      </button>
    </form>
  );
}

export function PortalRequests() {
  const [requests, setRequests] = useState<AgencyRequest[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [now, setNow] = useState(serverNow);
  const load = useCallback(async () => {
    try {
      setRequests((await api<AgencyRequestList>('GET', '/api/v1/portal/requests')).requests);
      setNow(serverNow());
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not load requests.');
    }
  }, []);
  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), 15_000);
    return () => window.clearInterval(timer);
  }, [load]);
  const acknowledge = async (id: string) => {
    try {
      await api('POST', `/api/v1/portal/requests/${id}/acknowledge`, {});
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not acknowledge.');
    }
  };
  const openOnes = requests.filter((r) => r.status === 'sent' || r.status === 'acknowledged');
  const done = requests.filter((r) => !(r.status === 'sent' || r.status === 'acknowledged'));
  return (
    <section aria-labelledby="requests-h">
      <h2 id="requests-h">Requests to your agency ({openOnes.length} open)</h2>
      {error && <ErrorText>{error}</ErrorText>}
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {openOnes.length === 0 && <p>No open requests.</p>}
      {openOnes.map((r) => {
        const left = timeLeft(r.dueAt, now);
        return (
          <article key={r.id} className="panel" aria-label={`Request ${r.reference}`}>
            <h3>
              {r.reference}: {r.request.kind.replace('_', ' ')}{' '}
              <span className={`badge${r.overdue || left.startsWith('overdue') ? ' late' : ''}`}>{left}</span>{' '}
              <span className="badge">{r.status}</span>
            </h3>
            <p>{r.request.question}</p>
            <dl>
              <dt>Person</dt>
              <dd>
                {r.request.subject.name},{' '}
                {r.request.subject.age === null ? 'age unknown' : `${r.request.subject.age} (${r.request.subject.ageBasis})`}
                {r.request.subject.languages.length > 0 ? `; speaks ${r.request.subject.languages.join(', ')}` : ''}
              </dd>
              {r.request.location && (
                <>
                  <dt>Last known address</dt>
                  <dd>
                    {[r.request.location.line1, r.request.location.city, r.request.location.state, r.request.location.zip]
                      .filter(Boolean)
                      .join(', ')}{' '}
                    (as of {new Date(r.request.location.observedAt).toLocaleString()})
                  </dd>
                </>
              )}
              <dt>Due</dt>
              <dd>{new Date(r.dueAt).toLocaleString()}</dd>
              <dt>Contact</dt>
              <dd>{r.request.contact}</dd>
            </dl>
            {r.status === 'sent' && (
              <button type="button" onClick={() => void acknowledge(r.id)}>
                Acknowledge
              </button>
            )}{' '}
            <button type="button" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
              Answer…
            </button>
            {open === r.id && (
              <Reply
                request={r}
                onDone={(message) => {
                  setNotice(message);
                  setOpen(null);
                  void load();
                }}
              />
            )}
          </article>
        );
      })}
      {done.length > 0 && (
        <table>
          <caption>Answered, closed and withdrawn</caption>
          <thead>
            <tr>
              <th scope="col">Reference</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Answer</th>
            </tr>
          </thead>
          <tbody>
            {done.map((r) => (
              <tr key={r.id}>
                <td>{r.reference}</td>
                <td>{r.request.kind.replace('_', ' ')}</td>
                <td>{r.status}</td>
                <td>{r.answer ? `${r.answer.outcome.replace('_', ' ')}: ${r.answer.notes ?? ''}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
