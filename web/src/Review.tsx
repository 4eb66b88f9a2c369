import type { ReferralPage, ReviewQueueRequests } from '@contracts/views.js';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';
import { serverNow } from './server-clock.js';

/**
 * The legal reviewer's queue: referrals and requests to partner agencies that
 * the safeguard gate held (a child, a protected person), and welfare checks
 * that went out at once about a child in danger (the urgent lane), to review
 * afterwards within 24 hours. Each shows why; the reviewer decides in writing.
 * The server refuses the author's own and re-asks the gate on approval.
 */

type Reason = { rule: string; message: string };
type Held = {
  kind: 'referral' | 'request' | 'urgent';
  /** The urgent lane: when its review afterwards is due. */
  dueAt?: string;
  id: string;
  reference: string;
  caseId: string;
  caseNumber: string;
  what: string;
  reasons: Reason[];
  createdAt: string;
};

const MIN_JUSTIFICATION = 20;

export function ReviewQueue() {
  const [held, setHeld] = useState<Held[] | null>(null);
  const [text, setText] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const [referrals, requests] = await Promise.all([
        api<ReferralPage>('GET', '/api/v1/referrals?status=pending_review&pageSize=100'),
        api<ReviewQueueRequests>('GET', '/api/v1/partner-requests/review-queue'),
      ]);
      setHeld(
        [
          ...referrals.referrals.map((r) => ({
            kind: 'referral' as const,
            id: r.id,
            reference: r.reference,
            caseId: r.caseId,
            caseNumber: r.caseNumber,
            what: `Referral (${r.purpose.replace(/_/g, ' ')}) to field office ${r.fieldOfficeCode}`,
            reasons: r.gate?.reasons ?? [],
            createdAt: r.createdAt,
          })),
          ...requests.requests.map((r) => ({
            kind: r.postReview ? ('urgent' as const) : ('request' as const),
            id: r.id,
            reference: r.reference,
            caseId: r.caseId,
            caseNumber: r.caseNumber,
            what: r.postReview
              ? `Welfare check SENT AT ONCE to partner agency ${r.agencyOri} (the urgent lane): “${r.request.question}”`
              : `Request (${r.kind.replace(/_/g, ' ')}) to partner agency ${r.agencyOri}: “${r.request.question}”`,
            reasons: r.gate.urgentLane
              ? [{ rule: 'urgent_welfare_lane', message: r.gate.urgentLane.message }, ...r.gate.reasons]
              : r.gate.reasons,
            createdAt: r.createdAt,
            ...(r.postReview ? { dueAt: r.postReview.dueAt } : {}),
          })),
        ].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
      );
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not load the review queue.');
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const decide = async (h: Held, decision: 'approve' | 'deny' | 'proper' | 'improper') => {
    setNotice(null);
    try {
      if (h.kind === 'urgent') {
        await api('POST', `/api/v1/partner-requests/${h.id}/post-review`, { finding: decision, justification: text[h.id] ?? '' });
        setNotice(
          `${h.reference}: reviewed — ${decision === 'proper' ? 'sending it at once was proper' : 'not proper; withdrawn if unanswered'}.`,
        );
        await load();
        return;
      }
      const url = h.kind === 'referral' ? `/api/v1/referrals/${h.id}/review` : `/api/v1/partner-requests/${h.id}/review`;
      await api('POST', url, { decision, justification: text[h.id] ?? '' });
      setNotice(`${h.reference}: ${decision === 'approve' ? 'approved and sent' : 'denied'}.`);
    } catch (e) {
      setError(e instanceof ApiError ? [e.message, ...e.issues.map((i) => i.message)].join(' — ') : 'Something went wrong.');
    }
    await load();
  };
  if (!held) return error ? <ErrorText>{error}</ErrorText> : <p className="loading">Loading the review queue…</p>;
  return (
    <section aria-labelledby="review-h" className="review">
      <h2 id="review-h">For legal review ({held.length})</h2>
      {error && <ErrorText>{error}</ErrorText>}
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {held.length === 0 && <p>Nothing is waiting for review.</p>}
      {held.map((h) => {
        const words = text[h.id]?.trim() ?? '';
        return (
          <article key={h.id} className="panel" aria-label={`Review ${h.reference}`}>
            <h3>
              {h.reference} — case <a href={`#/cases/${h.caseId}`}>{h.caseNumber}</a>
            </h3>
            <p>{h.what}</p>
            {h.dueAt && (
              <p className="notice">
                Review due by {new Date(h.dueAt).toLocaleString()}
                {Date.parse(h.dueAt) < serverNow() ? ' — overdue' : ''}
              </p>
            )}
            <p>{h.kind === 'urgent' ? 'Sent at once because:' : 'Held because:'}</p>
            <ul>
              {h.reasons.map((r) => (
                <li key={`${r.rule}-${r.message}`}>{r.message}</li>
              ))}
            </ul>
            <label htmlFor={`just-${h.id}`}>Justification (at least {MIN_JUSTIFICATION} characters; kept with the decision)</label>
            <textarea
              id={`just-${h.id}`}
              rows={3}
              value={text[h.id] ?? ''}
              onChange={(e) => setText({ ...text, [h.id]: e.target.value })}
            />
            {h.kind === 'urgent' ? (
              <>
                <button
                  type="button"
                  className="primary"
                  disabled={words.length < MIN_JUSTIFICATION}
                  onClick={() => void decide(h, 'proper')}
                >
                  Sending at once was proper
                </button>{' '}
                <button type="button" disabled={words.length < MIN_JUSTIFICATION} onClick={() => void decide(h, 'improper')}>
                  Not proper (withdraw if unanswered)
                </button>
              </>
            ) : (
              <>
                <button
                  type="button"
                  className="primary"
                  disabled={words.length < MIN_JUSTIFICATION}
                  onClick={() => void decide(h, 'approve')}
                >
                  Approve and send
                </button>{' '}
                <button type="button" disabled={words.length < MIN_JUSTIFICATION} onClick={() => void decide(h, 'deny')}>
                  Deny
                </button>
              </>
            )}
          </article>
        );
      })}
    </section>
  );
}
