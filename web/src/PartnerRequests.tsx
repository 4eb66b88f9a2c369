import type { PartnerRequestCandidates, PartnerRequestsMade, StaffRequest, StaffRequestList } from '@contracts/views.js';
import type { PurposeCode } from '@contracts/vocabulary.js';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, api, type FieldIssue } from './api.js';
import { IssueList } from './ErrorText.js';

/**
 * A case's requests to partner agencies, and the form to ask for help: by
 * default the agencies covering the subject's last known location. The
 * safeguard gate answers at once (sent, held for legal review, or refused
 * with what is missing); the purpose given goes into the audit log.
 */

const PURPOSES: PurposeCode[] = ['welfare_check', 'location_follow_up', 'case_work', 'referral_preparation', 'other'];

export function PartnerRequests({ caseId, subjects }: { caseId: string; subjects: { personId: string; name: string }[] }) {
  const [requests, setRequests] = useState<StaffRequest[]>([]);
  const [personId, setPersonId] = useState(subjects[0]?.personId ?? '');
  const [candidates, setCandidates] = useState<PartnerRequestCandidates | null>(null);
  const [mayAsk, setMayAsk] = useState(false);
  const [form, setForm] = useState<Record<string, string>>({ kind: 'welfare_check', purposeCode: 'welfare_check' });
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setRequests((await api<StaffRequestList>('GET', `/api/v1/cases/${caseId}/partner-requests`)).requests);
    } catch {
      setRequests([]);
    }
    if (!personId) return;
    try {
      setCandidates(await api<PartnerRequestCandidates>('GET', `/api/v1/cases/${caseId}/partner-request-candidates?personId=${personId}`));
      setMayAsk(true);
    } catch (e) {
      // No permission to ask (403): the list alone is shown.
      setMayAsk(!(e instanceof ApiError && e.status === 403));
    }
  }, [caseId, personId]);
  useEffect(() => {
    void load();
  }, [load]);
  const ask = async (event: FormEvent) => {
    event.preventDefault();
    setIssues([]);
    setNotice(null);
    try {
      const made = await api<PartnerRequestsMade>('POST', `/api/v1/cases/${caseId}/partner-requests`, {
        kind: form.kind,
        question: form.question ?? '',
        personId,
        purposeCode: form.purposeCode,
        purpose: form.purpose ?? '',
      });
      setNotice(
        made.decision === 'send'
          ? `Sent to ${made.requests.map((r) => r.agencyOri).join(', ')}.`
          : `Held for legal review before it reaches ${made.requests.map((r) => r.agencyOri).join(', ')}.`,
      );
      setForm({ kind: form.kind ?? 'welfare_check', purposeCode: form.purposeCode ?? 'welfare_check' });
    } catch (e) {
      if (e instanceof ApiError) setIssues(e.issues.length ? e.issues : [{ path: '', code: e.code, message: e.message }]);
    }
    await load();
  };
  return (
    <>
      <ul>
        {requests.map((r) => (
          <li key={r.id}>
            {r.reference}: {r.kind.replace(/_/g, ' ')} to {r.agencyOri} — {r.status.replace(/_/g, ' ')}
            {r.overdue ? ' (overdue)' : ''}
            {r.answer
              ? `; answer: ${r.answer.outcome.replace(/_/g, ' ')} — ${r.answer.notes ?? ''}`
              : `; due ${new Date(r.dueAt).toLocaleString()}`}
          </li>
        ))}
      </ul>
      {mayAsk && (
        <form onSubmit={(e) => void ask(e)} aria-label="Ask a partner agency">
          {subjects.length > 1 && (
            <>
              <label htmlFor="pr-person">About</label>
              <select id="pr-person" value={personId} onChange={(e) => setPersonId(e.target.value)}>
                {subjects.map((s) => (
                  <option key={s.personId} value={s.personId}>
                    {s.name}
                  </option>
                ))}
              </select>
            </>
          )}
          <p>
            {candidates && candidates.agencies.length > 0
              ? `Goes to ${candidates.agencies.map((a) => `${a.name} (${a.ori})`).join(', ')} — their jurisdiction covers ${[candidates.location?.city, candidates.location?.county && `${candidates.location.county} County`, candidates.location?.state].filter(Boolean).join(', ')}.`
              : 'No partner agency covers the last known location.'}
          </p>
          <IssueList title="Not sent:" issues={issues} what="request" label={() => ''} />
          <label htmlFor="pr-kind">Ask for</label>
          <select id="pr-kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
            <option value="welfare_check">a welfare check at the address</option>
            <option value="locate">help locating the person</option>
            <option value="information">information</option>
          </select>
          <label htmlFor="pr-question">What the agency is asked (they see this)</label>
          <textarea
            id="pr-question"
            rows={2}
            value={form.question ?? ''}
            onChange={(e) => setForm({ ...form, question: e.target.value })}
          />
          <label htmlFor="pr-purpose-code">Purpose of this disclosure</label>
          <select id="pr-purpose-code" value={form.purposeCode} onChange={(e) => setForm({ ...form, purposeCode: e.target.value })}>
            {PURPOSES.map((p) => (
              <option key={p} value={p}>
                {p.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
          <label htmlFor="pr-purpose">Why (recorded in the audit log)</label>
          <input id="pr-purpose" value={form.purpose ?? ''} onChange={(e) => setForm({ ...form, purpose: e.target.value })} />
          <button type="submit">Ask the agency</button>
          {notice && (
            <p role="status" className="notice">
              {notice}
            </p>
          )}
        </form>
      )}
    </>
  );
}
