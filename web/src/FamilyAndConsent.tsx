import {
  CONSENT_SCOPE_VALUES,
  RECIPIENT_KIND_VALUES,
  RELATIONSHIP_TYPE_VALUES,
  type TConsent,
  type TConsentBody,
  type TFamily,
  type TRelationshipBody,
} from '@contracts/relationships.js';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';
import { type Purpose, withPurpose } from './PurposeOfUse.js';

/**
 * A child's family and consent on the case screen (issue #22 items 1–2): the family tree with each link's source
 * and verification, suggested links a case worker confirms or rejects (nothing is linked by itself), the
 * household at each address over time, and what the child or a guardian agreed may be shared with whom.
 * Sponsors are marked protected: the server keeps them out of referrals and partner requests unless a legal
 * reviewer approves naming them.
 */

type Subject = { personId: string; name: string };
type RelationshipType = (typeof RELATIONSHIP_TYPE_VALUES)[number];
const words = (s: string) => s.replace(/_/g, ' ');
const failure = (e: unknown) =>
  e instanceof ApiError ? [e.message, ...e.issues.map((i) => i.message)].join(' — ') : 'Something went wrong.';
const pick = <T extends string>(values: readonly T[], value: string, fallback: T): T => values.find((v) => v === value) ?? fallback;

/** One action of a section: says how it went (done, or why not), and reloads the section either way. */
function actionRunner(setMessage: (message: string | null) => void, load: () => Promise<void>) {
  return async (work: () => Promise<unknown>, done: string) => {
    setMessage(null);
    try {
      await work();
      setMessage(done);
    } catch (e) {
      setMessage(failure(e));
    }
    await load();
  };
}

export function Family({ caseId, purpose, subjects }: { caseId: string; purpose: Purpose | null; subjects: Subject[] }) {
  const [family, setFamily] = useState<TFamily | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [types, setTypes] = useState<Record<string, RelationshipType>>({});
  const load = useCallback(async () => {
    try {
      setFamily(await api<TFamily>('GET', withPurpose(`/api/v1/cases/${caseId}/family`, purpose)));
    } catch (e) {
      setMessage(failure(e));
    }
  }, [caseId, purpose]);
  useEffect(() => {
    void load();
  }, [load]);
  const act = actionRunner(setMessage, load);
  if (!family) return message ? <ErrorText>{message}</ErrorText> : <p className="loading">Loading the family…</p>;
  const pending = family.suggestions.filter((s) => s.status === 'pending');
  return (
    <div className="family">
      {message && (
        <p role="status" className="notice">
          {message}
        </p>
      )}
      <h3>Family tree</h3>
      {family.children.length === 0 && <p>No child on this case.</p>}
      {family.children.map((child) => {
        const links = family.relationships.filter((r) => r.childPersonId === child.personId);
        return (
          <div key={child.personId}>
            <p>
              <strong>{child.name}</strong> (child)
            </p>
            {links.length === 0 ? (
              <p>No relationship recorded yet.</p>
            ) : (
              <ul aria-label={`Relationships of ${child.name}`}>
                {links.map((r) => (
                  <li key={r.id}>
                    {words(r.type)}: {r.name} {r.since || r.until ? `(${r.since ?? '…'} – ${r.until ?? 'now'})` : ''} — source{' '}
                    {words(r.source)}
                    {r.sourceNote ? ` (${r.sourceNote})` : ''}, {r.verification}
                    {r.protectedSponsor && <span className="badge"> protected sponsor</span>}
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
      <h3>Suggested links</h3>
      {pending.length === 0 ? (
        <p>No suggestion waiting.</p>
      ) : (
        <ul aria-label="Suggested links">
          {pending.map((s) => (
            <li key={s.id}>
              {s.name} — {words(s.reason)} {Object.values(s.evidence).map(String).join(', ')} <label htmlFor={`type-${s.id}`}>as</label>{' '}
              <select
                id={`type-${s.id}`}
                value={types[s.id] ?? (s.reason === 'named_as_sponsor' ? 'sponsor' : 'other_adult')}
                onChange={(e) => setTypes({ ...types, [s.id]: pick(RELATIONSHIP_TYPE_VALUES, e.target.value, 'other_adult') })}
              >
                {RELATIONSHIP_TYPE_VALUES.map((t) => (
                  <option key={t} value={t}>
                    {words(t)}
                  </option>
                ))}
              </select>{' '}
              <button
                type="button"
                onClick={() =>
                  void act(
                    () =>
                      api('POST', `/api/v1/cases/${caseId}/relationship-suggestions/${s.id}/decision`, {
                        decision: 'confirm',
                        type: types[s.id] ?? (s.reason === 'named_as_sponsor' ? 'sponsor' : 'other_adult'),
                      }),
                    `Linked ${s.name}.`,
                  )
                }
              >
                Confirm {s.name}
              </button>{' '}
              <button
                type="button"
                onClick={() =>
                  void act(
                    () => api('POST', `/api/v1/cases/${caseId}/relationship-suggestions/${s.id}/decision`, { decision: 'reject' }),
                    'Rejected.',
                  )
                }
              >
                Reject {s.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <AddRelationship
        caseId={caseId}
        family={family}
        subjects={subjects}
        onAdd={(body) => act(() => api('POST', `/api/v1/cases/${caseId}/relationships`, body), 'Relationship recorded.')}
      />
      <h3>Households over time</h3>
      {family.households.length === 0 ? (
        <p>No address observed yet.</p>
      ) : (
        <table>
          <caption>Who was observed at each address</caption>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Person</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {family.households.flatMap((h) =>
              h.members.map((m) => (
                <tr key={`${h.address}-${m.personId}`}>
                  <td>{h.address}</td>
                  <td>{m.name}</td>
                  <td>{new Date(m.firstObservedAt).toLocaleDateString()}</td>
                  <td>{new Date(m.lastObservedAt).toLocaleDateString()}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}

function AddRelationship({
  family,
  subjects,
  onAdd,
}: {
  caseId: string;
  family: TFamily;
  subjects: Subject[];
  onAdd: (body: TRelationshipBody) => Promise<void>;
}) {
  const child = family.children[0]?.personId ?? '';
  const others = subjects.filter((s) => !family.children.some((c) => c.personId === s.personId));
  const [personId, setPersonId] = useState(others[0]?.personId ?? '');
  const [type, setType] = useState<RelationshipType>('caregiver');
  const [since, setSince] = useState('');
  if (!child || others.length === 0) return null;
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void onAdd({ childPersonId: child, personId, type, source: 'case_worker', ...(since ? { since } : {}) });
      }}
    >
      <h3>Record a relationship</h3>
      <label htmlFor="rel-person">Person</label>
      <select id="rel-person" value={personId} onChange={(e) => setPersonId(e.target.value)}>
        {others.map((s) => (
          <option key={s.personId} value={s.personId}>
            {s.name}
          </option>
        ))}
      </select>
      <label htmlFor="rel-type">Relationship to the child</label>
      <select id="rel-type" value={type} onChange={(e) => setType(pick(RELATIONSHIP_TYPE_VALUES, e.target.value, 'caregiver'))}>
        {RELATIONSHIP_TYPE_VALUES.map((t) => (
          <option key={t} value={t}>
            {words(t)}
          </option>
        ))}
      </select>
      <label htmlFor="rel-since">Since (optional)</label>
      <input id="rel-since" type="date" value={since} onChange={(e) => setSince(e.target.value)} />
      <button type="submit">Record relationship</button>
    </form>
  );
}

export function Consents({ caseId, subjects, today }: { caseId: string; subjects: Subject[]; today: string }) {
  const [consents, setConsents] = useState<TConsent[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [form, setForm] = useState<TConsentBody>({
    personId: subjects[0]?.personId ?? '',
    scope: 'other_orgs',
    decision: 'granted',
    givenBy: 'child',
    givenOn: today,
    basis: '',
  });
  const load = useCallback(async () => {
    try {
      setConsents((await api<{ consents: TConsent[] }>('GET', `/api/v1/cases/${caseId}/consents`)).consents);
    } catch (e) {
      setMessage(failure(e));
    }
  }, [caseId]);
  useEffect(() => {
    void load();
  }, [load]);
  const act = actionRunner(setMessage, load);
  const name = (id: string) => subjects.find((s) => s.personId === id)?.name ?? 'a subject';
  return (
    <div className="consents">
      {message && (
        <p role="status" className="notice">
          {message}
        </p>
      )}
      {consents && consents.length > 0 ? (
        <ul aria-label="Consent decisions">
          {consents.map((c) => (
            <li key={c.id}>
              {name(c.personId)}: {c.decision} {c.scope === 'services' ? 'sharing with services' : 'disclosure to other organisations'}
              {c.recipientKind ? ` (${words(c.recipientKind)}${c.recipientName ? `: ${c.recipientName}` : ''})` : ''} — by{' '}
              {c.givenBy === 'guardian' ? `guardian ${c.guardianName ?? ''}` : 'the child'} on {c.givenOn}; {c.basis}.{' '}
              {c.withdrawnOn ? `Withdrawn from ${c.withdrawnOn}: ${c.withdrawalReason ?? ''}` : c.inForce ? 'In force.' : 'Not in force.'}{' '}
              {!c.withdrawnOn && (
                <button
                  type="button"
                  onClick={() =>
                    void act(
                      () =>
                        api('POST', `/api/v1/cases/${caseId}/consents/${c.id}/withdraw`, { reason: 'Withdrawn at the child’s request' }),
                      'Consent withdrawn.',
                    )
                  }
                >
                  Withdraw
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p>No consent recorded: nothing about the child goes to services or other organisations without one.</p>
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => api('POST', `/api/v1/cases/${caseId}/consents`, form), 'Consent recorded.');
        }}
      >
        <h3>Record a consent decision</h3>
        <label htmlFor="consent-person">Whose information</label>
        <select id="consent-person" value={form.personId} onChange={(e) => setForm({ ...form, personId: e.target.value })}>
          {subjects.map((s) => (
            <option key={s.personId} value={s.personId}>
              {s.name}
            </option>
          ))}
        </select>
        <label htmlFor="consent-scope">Share with</label>
        <select
          id="consent-scope"
          value={form.scope}
          onChange={(e) => setForm({ ...form, scope: pick(CONSENT_SCOPE_VALUES, e.target.value, 'other_orgs') })}
        >
          {CONSENT_SCOPE_VALUES.map((s) => (
            <option key={s} value={s}>
              {s === 'services' ? 'service providers' : 'other organisations'}
            </option>
          ))}
        </select>
        <label htmlFor="consent-recipient">Only this kind of recipient (optional)</label>
        <select
          id="consent-recipient"
          value={form.recipientKind ?? ''}
          onChange={(e) => {
            const { recipientKind: _, ...rest } = form;
            setForm(e.target.value ? { ...rest, recipientKind: pick(RECIPIENT_KIND_VALUES, e.target.value, 'organisation') } : rest);
          }}
        >
          <option value="">every recipient</option>
          {RECIPIENT_KIND_VALUES.filter((k) => k !== 'field_office').map((k) => (
            <option key={k} value={k}>
              {words(k)}
            </option>
          ))}
        </select>
        <label htmlFor="consent-decision">Decision</label>
        <select
          id="consent-decision"
          value={form.decision}
          onChange={(e) => setForm({ ...form, decision: e.target.value === 'refused' ? 'refused' : 'granted' })}
        >
          <option value="granted">granted</option>
          <option value="refused">refused</option>
        </select>
        <label htmlFor="consent-by">Given by</label>
        <select
          id="consent-by"
          value={form.givenBy}
          onChange={(e) => setForm({ ...form, givenBy: e.target.value === 'guardian' ? 'guardian' : 'child' })}
        >
          <option value="child">the child</option>
          <option value="guardian">a guardian</option>
        </select>
        {form.givenBy === 'guardian' && (
          <>
            <label htmlFor="consent-guardian">Guardian’s name</label>
            <input
              id="consent-guardian"
              value={form.guardianName ?? ''}
              onChange={(e) => setForm({ ...form, guardianName: e.target.value })}
            />
          </>
        )}
        <label htmlFor="consent-on">Given on</label>
        <input id="consent-on" type="date" value={form.givenOn} onChange={(e) => setForm({ ...form, givenOn: e.target.value })} />
        <label htmlFor="consent-basis">How it was given</label>
        <input id="consent-basis" value={form.basis} onChange={(e) => setForm({ ...form, basis: e.target.value })} required />
        <button type="submit">Record consent</button>
      </form>
    </div>
  );
}
