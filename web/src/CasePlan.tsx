import {
  CLOSURE_REASON_VALUES,
  NEED_TYPE_VALUES,
  SERVICE_TYPE_VALUES,
  type TCasePlan,
  type TNeedBody,
  type TService,
  type TServiceBody,
  type TServiceStatusBody,
} from '@contracts/case-plan.js';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api, type Session } from './api.js';
import { ErrorText } from './ErrorText.js';
import { type Purpose, withPurpose } from './PurposeOfUse.js';

/**
 * A child's services and case plan on the case screen (issue #22 item 3): the plan's approval, the needs assessed,
 * the services planned with their status and outcome (overdue ones marked in words), the supervisor's approve or
 * return, and the closure of the case — requested by the specialist once every service is resolved, decided by a
 * supervisor. Buttons follow the role; the server decides (and refuses a supervisor deciding their own request).
 * The plan is read with the purpose of use the case workspace was opened with; a decision names the submission
 * (or closure request) it was shown, so a stale click is refused rather than approving something unseen.
 */

type ClosureReason = (typeof CLOSURE_REASON_VALUES)[number];
type NextStatus = TServiceStatusBody['status'];
const NEXT_STATUSES: NextStatus[] = ['in_progress', 'delivered', 'not_delivered', 'cancelled'];
const words = (s: string) => s.replace(/_/g, ' ');
const failure = (e: unknown) =>
  e instanceof ApiError ? [e.message, ...e.issues.map((i) => i.message)].join(' — ') : 'Something went wrong.';
const pick = <T extends string>(values: readonly T[], value: string, fallback: T): T => values.find((v) => v === value) ?? fallback;
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

const PLAN_WORDS: Record<NonNullable<TCasePlan['plan']>['status'], string> = {
  draft: 'Draft — not yet submitted for approval',
  submitted: 'Submitted — waiting for a supervisor',
  approved: 'Approved',
  returned: 'Returned by the supervisor',
};

export function CasePlan({
  caseId,
  purpose,
  today,
  caseClosed,
  onCaseChanged,
}: {
  caseId: string;
  /** The purpose of use the case was read with: the plan reveals the child's needs. */
  purpose: Purpose | null;
  today: string;
  /** A closed case is read, not planned (reopen it first). */
  caseClosed: boolean;
  onCaseChanged: () => Promise<void>;
}) {
  const [plan, setPlan] = useState<TCasePlan | null>(null);
  const [role, setRole] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [need, setNeed] = useState<TNeedBody>({ need: 'legal', assessedOn: today });
  const [service, setService] = useState<Omit<TServiceBody, 'needId'> & { needId: string }>({
    needId: '',
    type: 'legal_aid',
    provider: '',
    dueOn: today,
  });
  const [moves, setMoves] = useState<Record<string, { status: NextStatus; outcome: string }>>({});
  const [decisionNote, setDecisionNote] = useState('');
  const [closure, setClosure] = useState<{ reason: ClosureReason; note: string }>({ reason: 'resolved', note: '' });
  const [refusal, setRefusal] = useState('');
  const load = useCallback(async () => {
    try {
      setPlan(await api<TCasePlan>('GET', withPurpose(`/api/v1/cases/${caseId}/plan`, purpose)));
    } catch (e) {
      setMessage(failure(e));
    }
  }, [caseId, purpose]);
  useEffect(() => {
    void load();
    api<Session>('GET', '/api/v1/auth/session').then(
      (s) => setRole(s.user.role),
      () => setRole(null),
    );
  }, [load]);
  const act = async (work: () => Promise<unknown>, done: string, caseChanges = false) => {
    setMessage(null);
    try {
      await work();
      setMessage(done);
      if (caseChanges) await onCaseChanged();
    } catch (e) {
      setMessage(failure(e));
    }
    await load();
  };
  if (!plan) return message ? <ErrorText>{message}</ErrorText> : <p className="loading">Loading the case plan…</p>;
  // What the role may do (plan:write, plan:approve); the server checks again.
  const canWrite = !caseClosed && (role === 'uac_specialist' || role === 'supervisor');
  const canApprove = role === 'supervisor';
  const status = plan.plan?.status ?? null;
  const open = plan.services.filter((s) => s.status === 'planned' || s.status === 'in_progress');
  // The supervisor decides the plan as submitted when read (submittedAt): changed since → 409 stale_decision.
  const decidePlan = (decision: 'approve' | 'return', done: string) =>
    void act(
      () =>
        api('POST', `/api/v1/cases/${caseId}/plan/decision`, {
          decision,
          submittedAt: plan.plan?.submittedAt ?? '',
          ...(decisionNote.trim() ? { note: decisionNote } : {}),
        }),
      done,
    );
  const overdue = plan.services.filter((s) => s.overdue);
  const needId = service.needId || plan.needs[0]?.id || '';
  const moveOf = (s: TService) => moves[s.id] ?? { status: s.status === 'planned' ? 'in_progress' : 'delivered', outcome: '' };
  const closureOpen = plan.closure?.status === 'requested';
  return (
    <div className="case-plan">
      {message && (
        <p role="status" className="notice">
          {message}
        </p>
      )}
      <h3>Plan</h3>
      <p>
        Status: <strong>{status ? PLAN_WORDS[status] : 'No plan yet — assess a need to start one'}</strong>
        {status === 'approved' && plan.plan?.decidedAt && ` on ${when(plan.plan.decidedAt)}`}
      </p>
      {status === 'draft' && plan.plan?.decidedAt && (
        <p className="notice">The plan changed after the supervisor’s decision: it needs approval again. Submit it when ready.</p>
      )}
      {plan.plan?.note && (
        <p>
          Supervisor’s note: <q>{plan.plan.note}</q>
        </p>
      )}
      {overdue.length > 0 && (
        <p className="notice" role="alert">
          {overdue.length === 1 ? '1 service is overdue.' : `${overdue.length} services are overdue.`}
        </p>
      )}

      <h3>Needs assessed</h3>
      {plan.needs.length === 0 ? (
        <p>No need assessed yet.</p>
      ) : (
        <ul aria-label="Needs assessed">
          {plan.needs.map((n) => (
            <li key={n.id}>
              {words(n.need)} — assessed on {n.assessedOn}
              {n.notes ? `: ${n.notes}` : ''}
            </li>
          ))}
        </ul>
      )}

      <h3>Services</h3>
      {plan.services.length === 0 ? (
        <p>No service planned yet.</p>
      ) : (
        <ul aria-label="Services planned" className="services">
          {plan.services.map((s) => {
            const m = moveOf(s);
            const isOpen = s.status === 'planned' || s.status === 'in_progress';
            return (
              <li key={s.id}>
                <strong>{words(s.type)}</strong> with {s.provider} — due {s.dueOn}{' '}
                {s.overdue && <strong className="badge late">overdue</strong>} — {words(s.status)}
                {s.outcome ? `. Outcome: ${s.outcome}` : ''}
                {canWrite && isOpen && (
                  <form
                    className="inline-form"
                    onSubmit={(e) => {
                      e.preventDefault();
                      const body: TServiceStatusBody = m.outcome.trim() ? { status: m.status, outcome: m.outcome } : { status: m.status };
                      void act(() => api('POST', `/api/v1/cases/${caseId}/services/${s.id}/status`, body), 'Service updated.');
                    }}
                  >
                    <label htmlFor={`svc-status-${s.id}`}>New status of {words(s.type)}</label>
                    <select
                      id={`svc-status-${s.id}`}
                      value={m.status}
                      onChange={(e) => setMoves({ ...moves, [s.id]: { ...m, status: pick(NEXT_STATUSES, e.target.value, 'delivered') } })}
                    >
                      {NEXT_STATUSES.filter((n) => n !== 'in_progress' || s.status === 'planned').map((n) => (
                        <option key={n} value={n}>
                          {words(n)}
                        </option>
                      ))}
                    </select>
                    <label htmlFor={`svc-outcome-${s.id}`}>Outcome of {words(s.type)} (needed to end it)</label>
                    <input
                      id={`svc-outcome-${s.id}`}
                      value={m.outcome}
                      onChange={(e) => setMoves({ ...moves, [s.id]: { ...m, outcome: e.target.value } })}
                    />
                    <button type="submit">Update {words(s.type)}</button>
                  </form>
                )}
              </li>
            );
          })}
        </ul>
      )}

      {canWrite && (
        <>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              const body: TNeedBody = need.notes?.trim() ? need : { need: need.need, assessedOn: need.assessedOn };
              void act(() => api('POST', `/api/v1/cases/${caseId}/needs`, body), 'Need recorded.');
            }}
          >
            <h4>Assess a need</h4>
            <label htmlFor="need-type">Need</label>
            <select
              id="need-type"
              value={need.need}
              onChange={(e) => setNeed({ ...need, need: pick(NEED_TYPE_VALUES, e.target.value, 'other') })}
            >
              {NEED_TYPE_VALUES.map((n) => (
                <option key={n} value={n}>
                  {words(n)}
                </option>
              ))}
            </select>
            <label htmlFor="need-on">Assessed on</label>
            <input id="need-on" type="date" value={need.assessedOn} onChange={(e) => setNeed({ ...need, assessedOn: e.target.value })} />
            <label htmlFor="need-notes">Notes</label>
            <input id="need-notes" value={need.notes ?? ''} onChange={(e) => setNeed({ ...need, notes: e.target.value })} />
            <button type="submit">Record need</button>
          </form>
          {plan.needs.length > 0 && (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                void act(() => api('POST', `/api/v1/cases/${caseId}/services`, { ...service, needId }), 'Service planned.');
              }}
            >
              <h4>Plan a service</h4>
              <label htmlFor="service-need">For the need</label>
              <select id="service-need" value={needId} onChange={(e) => setService({ ...service, needId: e.target.value })}>
                {plan.needs.map((n) => (
                  <option key={n.id} value={n.id}>
                    {words(n.need)} ({n.assessedOn})
                  </option>
                ))}
              </select>
              <label htmlFor="service-type">Service</label>
              <select
                id="service-type"
                value={service.type}
                onChange={(e) => setService({ ...service, type: pick(SERVICE_TYPE_VALUES, e.target.value, 'other') })}
              >
                {SERVICE_TYPE_VALUES.map((t) => (
                  <option key={t} value={t}>
                    {words(t)}
                  </option>
                ))}
              </select>
              <label htmlFor="service-provider">Provider</label>
              <input
                id="service-provider"
                value={service.provider}
                onChange={(e) => setService({ ...service, provider: e.target.value })}
                required
              />
              <label htmlFor="service-due">Due on</label>
              <input
                id="service-due"
                type="date"
                value={service.dueOn}
                onChange={(e) => setService({ ...service, dueOn: e.target.value })}
              />
              <button type="submit">Plan service</button>
            </form>
          )}
          {(status === 'draft' || status === 'returned') && (
            <button
              type="button"
              onClick={() => void act(() => api('POST', `/api/v1/cases/${caseId}/plan/submit`, {}), 'Plan submitted for approval.')}
            >
              Submit the plan for approval
            </button>
          )}
        </>
      )}

      {canApprove && status === 'submitted' && (
        <div className="inline-form">
          <h4>Supervisor’s decision on the plan</h4>
          <label htmlFor="plan-note">Note (needed to return it)</label>
          <input id="plan-note" value={decisionNote} onChange={(e) => setDecisionNote(e.target.value)} />
          <button type="button" onClick={() => decidePlan('approve', 'Plan approved.')}>
            Approve the plan
          </button>
          <button type="button" onClick={() => decidePlan('return', 'Plan returned.')}>
            Return the plan
          </button>
        </div>
      )}

      <h3>Closure</h3>
      {plan.closure ? (
        <p>
          Closure {words(plan.closure.status)} ({when(plan.closure.decidedAt ?? plan.closure.requestedAt)})
          {plan.closure.reason ? `: ${plan.closure.reason}` : ''}
        </p>
      ) : (
        <p>No closure requested.</p>
      )}
      {canWrite && !closureOpen && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => api('POST', `/api/v1/cases/${caseId}/closure`, closure), 'Closure requested.');
          }}
        >
          <h4>Request closure</h4>
          {open.length > 0 && <p>Every service must be delivered, not delivered or cancelled first ({open.length} still open).</p>}
          <label htmlFor="closure-reason">Close reason</label>
          <select
            id="closure-reason"
            value={closure.reason}
            onChange={(e) => setClosure({ ...closure, reason: pick(CLOSURE_REASON_VALUES, e.target.value, 'other') })}
          >
            {CLOSURE_REASON_VALUES.map((r) => (
              <option key={r} value={r}>
                {words(r)}
              </option>
            ))}
          </select>
          <label htmlFor="closure-note">Why the case can close</label>
          <input id="closure-note" value={closure.note} onChange={(e) => setClosure({ ...closure, note: e.target.value })} required />
          <button type="submit">Request closure</button>
        </form>
      )}
      {canApprove && closureOpen && (
        <div className="inline-form">
          <h4>Supervisor’s decision on the closure</h4>
          <label htmlFor="closure-refusal">Reason (needed to refuse)</label>
          <input id="closure-refusal" value={refusal} onChange={(e) => setRefusal(e.target.value)} />
          <button
            type="button"
            onClick={() =>
              void act(
                () =>
                  api('POST', `/api/v1/cases/${caseId}/closure/decision`, {
                    decision: 'approve',
                    requestedAt: plan.closure?.requestedAt ?? '',
                  }),
                'Closure approved: the case is closed.',
                true,
              )
            }
          >
            Approve closure
          </button>
          <button
            type="button"
            onClick={() =>
              void act(
                () =>
                  api('POST', `/api/v1/cases/${caseId}/closure/decision`, {
                    decision: 'refuse',
                    requestedAt: plan.closure?.requestedAt ?? '',
                    ...(refusal.trim() ? { reason: refusal } : {}),
                  }),
                'Closure refused.',
              )
            }
          >
            Refuse closure
          </button>
        </div>
      )}
    </div>
  );
}
