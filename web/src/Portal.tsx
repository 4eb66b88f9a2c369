import type { SubmissionAck, SubmissionList, SubmissionStatus } from '@contracts/views.js';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, api, type FieldIssue } from './api.js';
import { IssueList } from './ErrorText.js';
import { PortalClients } from './PortalClients.js';
import { PortalRequests } from './PortalRequests.js';
import { PortalUpload } from './PortalUpload.js';
import { serverNow } from './server-clock.js';

/**
 * The partner portal, for a signed-in partner officer of one agency: requests
 * from the center (with deadlines and a reply form), a submission form and
 * the agency's submissions, CSV uploads with progress, and API clients.
 */

type Status = SubmissionStatus;
type Ack = SubmissionAck;
const TYPES = ['location_report', 'encounter', 'uac_concern', 'hit_confirmation_request'];

function Submissions() {
  const [list, setList] = useState<Status[]>([]);
  const [form, setForm] = useState<Record<string, string>>({ type: 'location_report', concern: 'sighting' });
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  // The last acknowledgement, and its status as read from the statusUrl the server gave.
  const [ack, setAck] = useState<Ack | null>(null);
  const [acked, setAcked] = useState<Status | null>(null);
  const checkAck = async (target: Ack) => {
    try {
      setAcked(await api<Status>('GET', target.statusUrl));
    } catch (e) {
      setNotice(e instanceof ApiError ? e.message : 'Could not read the status.');
    }
  };
  const load = useCallback(async () => {
    try {
      setList((await api<SubmissionList>('GET', '/api/v1/portal/submissions')).submissions);
    } catch (e) {
      setNotice(e instanceof ApiError ? e.message : 'Could not load submissions.');
    }
  }, []);
  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), 5000);
    return () => window.clearInterval(timer);
  }, [load]);

  const v = (k: string) => form[k]?.trim() || undefined;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setIssues([]);
    setNotice(null);
    const location = { line1: v('line1'), city: v('city'), state: v('state'), zip: v('zip') };
    const body = {
      type: form.type,
      occurredAt: new Date(form.occurredAt || serverNow()).toISOString(),
      officer: { name: v('officerName'), badge: v('badge') },
      narrative: form.narrative ?? '',
      subject: {
        givenNames: form.givenNames ?? '',
        familyName1: form.familyName1 ?? '',
        dob: v('dob'),
        ...(v('dob') ? { dobBasis: 'claimed' } : {}),
      },
      ...(Object.values(location).some(Boolean) ? { location } : {}),
      ...(form.type === 'uac_concern' ? { concern: form.concern } : {}),
    };
    try {
      const received = await api<Ack>('POST', '/api/v1/portal/submissions', body);
      setAck(received);
      setAcked(null);
      setNotice(`Received: submission ${received.id}. Its status follows below.`);
      setForm({ type: form.type ?? 'location_report', concern: 'sighting' });
      await load();
    } catch (e) {
      if (e instanceof ApiError) setIssues(e.issues.length ? e.issues : [{ path: '', code: e.code, message: e.message }]);
    }
  };
  const field = (key: string, label: string, type = 'text', required = false) => (
    <div className="field">
      <label htmlFor={`p-${key}`}>
        {label}
        {required ? ' (required)' : ''}
      </label>
      {type === 'textarea' ? (
        <textarea id={`p-${key}`} rows={4} value={form[key] ?? ''} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
      ) : (
        <input id={`p-${key}`} type={type} value={form[key] ?? ''} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
      )}
    </div>
  );
  return (
    <section aria-labelledby="submit-h">
      <h2 id="submit-h">Submissions</h2>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {ack && (
        <div className="panel" aria-live="polite">
          <p>
            Submission {ack.id}: {acked ? acked.status : ack.status}
            {acked?.reference ? ` — case ${acked.reference}` : ''}
            {acked?.reasons?.length ? ` — ${acked.reasons.map((r) => `${r.path}: ${r.message}`).join('; ')}` : ''}
          </p>
          <button type="button" onClick={() => void checkAck(ack)}>
            Check its status
          </button>
        </div>
      )}
      <form className="panel" onSubmit={(e) => void submit(e)}>
        <h3>New submission</h3>
        <IssueList title="Not accepted:" issues={issues} what="submission" />
        <label htmlFor="p-type">Kind of submission</label>
        <select id="p-type" value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })}>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
        {form.type === 'uac_concern' && (
          <>
            <label htmlFor="p-concern">Concern</label>
            <select id="p-concern" value={form.concern} onChange={(e) => setForm({ ...form, concern: e.target.value })}>
              <option value="sighting">sighting</option>
              <option value="welfare">welfare</option>
            </select>
          </>
        )}
        {field('occurredAt', 'When it happened', 'datetime-local', true)}
        {field('officerName', 'Your name')}
        {field('badge', 'Badge number')}
        {field('givenNames', "Subject's given names", 'text', true)}
        {field('familyName1', "Subject's family name", 'text', true)}
        {field('dob', 'Date of birth', 'date')}
        {field('line1', 'Street')}
        {field('city', 'City')}
        {field('state', 'State')}
        {field('zip', 'ZIP code')}
        {field('narrative', 'What happened', 'textarea', true)}
        <button type="submit" className="primary">
          Submit
        </button>
      </form>
      <table>
        <caption>Your agency's submissions</caption>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Reference or reasons</th>
          </tr>
        </thead>
        <tbody>
          {list.map((s) => (
            <tr key={s.id}>
              <td>{new Date(s.receivedAt).toLocaleString()}</td>
              <td>{s.type.replace(/_/g, ' ')}</td>
              <td>{s.status}</td>
              <td>{s.reference ?? s.reasons?.map((r) => `${r.path}: ${r.message}`).join('; ') ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const SECTIONS = [
  ['requests', 'Requests from the center'],
  ['submit', 'Submit'],
  ['upload', 'Upload CSV'],
  ['clients', 'API clients'],
] as const;

export function Portal({ section }: { section?: string | undefined }) {
  const active = SECTIONS.some(([id]) => id === section) ? section : 'requests';
  return (
    <div className="portal">
      <h1>Partner portal</h1>
      <nav aria-label="Portal sections" className="subnav">
        {SECTIONS.map(([id, label]) => (
          <a key={id} href={`#/portal/${id}`} aria-current={id === active ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {active === 'requests' && <PortalRequests />}
      {active === 'submit' && <Submissions />}
      {active === 'upload' && <PortalUpload />}
      {active === 'clients' && <PortalClients />}
    </div>
  );
}
