import type { AgencyList, AgencyRecord } from '@contracts/agencies.js';
import {
  HANDOFF_RECIPIENT_KINDS,
  HANDOFF_REFERRAL_TYPES,
  type TCredentialIssued,
  type TOrganisation,
  type TOrganisationSaved,
} from '@contracts/handoffs.js';
import type { IssuedPhonePassword, PhoneBindingList, UserList } from '@contracts/identity.js';
import type { TQueue } from '@contracts/reference.js';
import type { ConfigVersions, LineFlows } from '@contracts/views.js';
import { AGREEMENT_STATUSES, ROLES } from '@contracts/vocabulary.js';
import { ExpressionError, parseExpression } from '@domain/routing/expression.js';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';

/**
 * The admin console: staff accounts (invite, change role and scopes, reset the second factor, disable), the ACD's
 * queues (the target expression checked as it is typed, with the server's own parser), and the partner agencies'
 * agreements. Every change goes through the same API as any client, is audited there, and takes effect without a
 * restart (the routing engine is reconfigured in place; an account's sessions end when its access changes).
 */

type User = UserList['users'][number];
type Section = (typeof SECTIONS)[number];

const SECTIONS = ['users', 'queues', 'ivr', 'intake', 'agencies', 'handoffs'] as const;
const SECTION_LABEL: Record<Section, string> = {
  users: 'Staff accounts',
  queues: 'Queues',
  ivr: 'IVR flows',
  intake: 'Intake forms',
  agencies: 'Agencies',
  handoffs: 'Receiving organisations',
};

const problem = (e: unknown, fallback: string): string =>
  e instanceof ApiError ? [e.message, ...e.issues.map((i) => `${i.path.replace(/^body\./, '')}: ${i.message}`)].join(' ') : fallback;

export function Admin({ section }: { section?: string | undefined }) {
  const active: Section = (SECTIONS as readonly string[]).includes(section ?? '') ? (section as Section) : 'users';
  return (
    <div className="admin">
      <h1>Administration</h1>
      <nav aria-label="Administration" className="subnav">
        {SECTIONS.map((s) => (
          <a key={s} href={`#/admin/${s}`} aria-current={s === active ? 'page' : undefined}>
            {SECTION_LABEL[s]}
          </a>
        ))}
      </nav>
      {active === 'users' && <Users />}
      {active === 'queues' && <Queues />}
      {active === 'ivr' && <IvrFlowsSection />}
      {active === 'intake' && <IntakeFormsSection />}
      {active === 'agencies' && <Agencies />}
      {active === 'handoffs' && <ReceivingOrganisations />}
    </div>
  );
}

function Users() {
  const [users, setUsers] = useState<User[] | null>(null);
  const [phones, setPhones] = useState<Map<string, PhoneBindingList['phones'][number]>>(new Map());
  /** A phone password just issued: shown once, here, until dismissed; never fetched again. */
  const [issued, setIssued] = useState<IssuedPhonePassword | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [invite, setInvite] = useState({ displayName: '', role: 'call_taker', username: '', unit: '', fieldOfficeCode: '', agencyOri: '' });
  const [editing, setEditing] = useState<{
    username: string;
    role: string;
    unit: string;
    fieldOfficeCode: string;
    agencyOri: string;
  } | null>(null);
  const load = useCallback(async () => {
    try {
      setUsers((await api<UserList>('GET', '/api/v1/admin/users')).users);
      // Admins without phone:manage see no phone column's actions; the accounts still list.
      const bound = await api<PhoneBindingList>('GET', '/api/v1/admin/phones').catch(() => ({ phones: [] }));
      setPhones(new Map(bound.phones.map((p) => [p.username, p])));
    } catch (e) {
      setError(problem(e, 'The accounts could not be read.'));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      setNotice(done);
      setError(null);
      await load();
    } catch (e) {
      setError(problem(e, 'That did not work.'));
      setNotice(null);
    }
  };
  const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
  const submitInvite = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      displayName: invite.displayName,
      role: invite.role,
      username: optional(invite.username),
      unit: optional(invite.unit),
      fieldOfficeCode: optional(invite.fieldOfficeCode),
      agencyOri: optional(invite.agencyOri),
    };
    void act(async () => {
      const made = await api<{ user: User }>('POST', '/api/v1/admin/users', body);
      setInvite({ displayName: '', role: 'call_taker', username: '', unit: '', fieldOfficeCode: '', agencyOri: '' });
      return made;
    }, `Invited ${invite.displayName}: the one-time enrollment link went to the enrollment outbox for delivery to the person, not to this page.`);
  };
  const submitChange = (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    const nullable = (value: string) => (value.trim() === '' ? null : value.trim());
    void act(async () => {
      await api('PATCH', `/api/v1/admin/users/${encodeURIComponent(editing.username)}`, {
        role: editing.role,
        unit: nullable(editing.unit),
        fieldOfficeCode: nullable(editing.fieldOfficeCode),
        agencyOri: nullable(editing.agencyOri),
      });
      setEditing(null);
    }, `Changed the access of ${editing.username}; their sessions have ended, so it holds from their next sign-in.`);
  };
  const inviteField = (key: keyof typeof invite, label: string) => (
    <div className="field">
      <label htmlFor={`inv-${key}`}>{label}</label>
      <input id={`inv-${key}`} value={invite[key]} onChange={(e) => setInvite({ ...invite, [key]: e.target.value })} />
    </div>
  );
  return (
    <section aria-labelledby="admin-users">
      <h2 id="admin-users">Staff accounts</h2>
      {error && <ErrorText>{error}</ErrorText>}
      {notice && (
        <p role="status" className="saved">
          {notice}
        </p>
      )}
      <form className="search" onSubmit={submitInvite} aria-label="Invite a person">
        {inviteField('displayName', 'Name')}
        <div className="field">
          <label htmlFor="inv-role">Role</label>
          <select id="inv-role" value={invite.role} onChange={(e) => setInvite({ ...invite, role: e.target.value })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </div>
        {inviteField('username', 'Username (optional)')}
        {inviteField('unit', 'Unit (optional)')}
        {inviteField('fieldOfficeCode', 'Field office (field officers)')}
        {inviteField('agencyOri', 'Agency ORI (partner officers)')}
        <button type="submit" className="primary">
          Invite
        </button>
      </form>
      {issued && (
        <section className="phone-issued" aria-labelledby="phone-issued-title" role="alert">
          <h3 id="phone-issued-title">Phone password for {issued.phone.username} — shown once</h3>
          <p>
            Configure it on the phone now: Switchboard keeps only a digest of it and cannot show it again. Issuing a new one ends this one.
          </p>
          <dl className="phone-credentials">
            <dt>SIP user (address of record)</dt>
            <dd>
              <code>{issued.phone.sipUser}</code>
            </dd>
            <dt>Authentication user</dt>
            <dd>
              <code>{issued.authUser}</code>
            </dd>
            <dt>Realm</dt>
            <dd>
              <code>{issued.realm}</code>
            </dd>
            <dt>Password</dt>
            <dd>
              <code data-testid="phone-password">{issued.password}</code>
            </dd>
          </dl>
          <button type="button" onClick={() => setIssued(null)}>
            I have configured the phone; hide the password
          </button>
        </section>
      )}
      {editing && (
        <form className="search" onSubmit={submitChange} aria-label={`Change the access of ${editing.username}`}>
          <h3>Access of {editing.username}</h3>
          <div className="field">
            <label htmlFor="chg-role">Role</label>
            <select id="chg-role" value={editing.role} onChange={(e) => setEditing({ ...editing, role: e.target.value })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </div>
          {(['unit', 'fieldOfficeCode', 'agencyOri'] as const).map((key) => (
            <div className="field" key={key}>
              <label htmlFor={`chg-${key}`}>{key === 'unit' ? 'Unit' : key === 'fieldOfficeCode' ? 'Field office' : 'Agency ORI'}</label>
              <input id={`chg-${key}`} value={editing[key]} onChange={(e) => setEditing({ ...editing, [key]: e.target.value })} />
            </div>
          ))}
          <button type="submit" className="primary">
            Save access
          </button>
          <button type="button" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      )}
      {!users && !error && <p className="loading">Loading the accounts…</p>}
      {users && (
        <table className="admin-users">
          <caption>{users.length} accounts</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Role</th>
              <th scope="col">Scope</th>
              <th scope="col">Status</th>
              <th scope="col">Sign-in</th>
              <th scope="col">Phone</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-username={u.username}>
                <th scope="row">
                  {u.displayName} <span className="muted">({u.username})</span>
                </th>
                <td>{u.role.replace(/_/g, ' ')}</td>
                <td>{[u.unit, u.fieldOfficeCode, u.agencyOri].filter(Boolean).join(', ') || '—'}</td>
                <td className={u.status === 'disabled' ? 'bad' : undefined}>{u.status}</td>
                <td>
                  {u.singleSignOn ? 'single sign-on' : u.mfaEnrolled ? 'enrolled' : 'not enrolled'}
                  {u.breakGlass && <span className="muted"> · break-glass</span>}
                </td>
                <td>{phones.get(u.username)?.sipUser ?? '—'}</td>
                <td>
                  {u.status !== 'disabled' && (
                    <>
                      <button
                        type="button"
                        onClick={() =>
                          setEditing({
                            username: u.username,
                            role: u.role,
                            unit: u.unit ?? '',
                            fieldOfficeCode: u.fieldOfficeCode ?? '',
                            agencyOri: u.agencyOri ?? '',
                          })
                        }
                      >
                        Change access<span className="visually-hidden"> of {u.username}</span>
                      </button>
                      {u.mfaEnrolled && (
                        <button
                          type="button"
                          onClick={() =>
                            window.confirm(
                              `Reset the second factor of ${u.username}? Their sessions end; their next sign-in enrolls a new one.`,
                            ) &&
                            void act(
                              () => api('POST', `/api/v1/admin/users/${encodeURIComponent(u.username)}/reset-mfa`),
                              `Reset the second factor of ${u.username}.`,
                            )
                          }
                        >
                          Reset second factor<span className="visually-hidden"> of {u.username}</span>
                        </button>
                      )}
                      {!u.singleSignOn && (
                        <button
                          type="button"
                          onClick={() =>
                            window.confirm(
                              u.breakGlass
                                ? `Take the break-glass mark from ${u.username}? While single sign-on is on, they can no longer sign in with a password.`
                                : `Mark ${u.username} as break-glass? They keep password and code sign-in while single sign-on is on.`,
                            ) &&
                            void act(
                              () =>
                                api('PUT', `/api/v1/admin/users/${encodeURIComponent(u.username)}/break-glass`, {
                                  breakGlass: !u.breakGlass,
                                }),
                              u.breakGlass ? `${u.username} is no longer break-glass.` : `${u.username} is a break-glass account.`,
                            )
                          }
                        >
                          {u.breakGlass ? 'Remove break-glass' : 'Make break-glass'}
                          <span className="visually-hidden"> {u.username}</span>
                        </button>
                      )}
                      <button
                        type="button"
                        onClick={() =>
                          (!phones.has(u.username) ||
                            window.confirm(
                              `Issue a new phone password for ${u.username}? The phone's current password stops working at once.`,
                            )) &&
                          void act(
                            async () =>
                              setIssued(
                                await api<IssuedPhonePassword>('POST', `/api/v1/admin/users/${encodeURIComponent(u.username)}/phone`, {}),
                              ),
                            phones.has(u.username)
                              ? `Issued a new phone password for ${u.username}; the one before no longer works.`
                              : `Bound the phone of ${u.username}: calls offered to them ring it.`,
                          )
                        }
                      >
                        {phones.has(u.username) ? 'New phone password' : 'Bind phone'}
                        <span className="visually-hidden"> of {u.username}</span>
                      </button>
                      {phones.has(u.username) && (
                        <button
                          type="button"
                          onClick={() =>
                            window.confirm(`Unbind the phone of ${u.username}? It stops registering and is no longer rung.`) &&
                            void act(
                              () => api('DELETE', `/api/v1/admin/users/${encodeURIComponent(u.username)}/phone`),
                              `Unbound the phone of ${u.username}.`,
                            )
                          }
                        >
                          Unbind phone<span className="visually-hidden"> of {u.username}</span>
                        </button>
                      )}
                      <button
                        type="button"
                        onClick={() =>
                          window.confirm(`Disable ${u.username}? Their sessions end at once.`) &&
                          void act(
                            () => api('POST', `/api/v1/admin/users/${encodeURIComponent(u.username)}/disable`),
                            `Disabled ${u.username}.`,
                          )
                        }
                      >
                        Disable<span className="visually-hidden"> {u.username}</span>
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The target expression as the routing engine will read it: undefined if it parses, else where and why not. */
export function expressionProblem(source: string): string | undefined {
  try {
    parseExpression(source);
    return undefined;
  } catch (error) {
    return error instanceof ExpressionError ? error.message : 'not an expression';
  }
}

type QueueForm = {
  id: string;
  name: string;
  description: string;
  channel: 'voice' | 'work_item';
  targetExpression: string;
  ordering: 'fifo' | 'lifo';
  serviceLevelSeconds: string;
  serviceLevelTargetPercent: string;
  maxWaitSeconds: string;
};
const formOf = (q: TQueue): QueueForm => ({
  id: q.id,
  name: q.name,
  description: q.description,
  channel: q.channel,
  targetExpression: q.targetExpression,
  ordering: q.ordering,
  serviceLevelSeconds: String(q.serviceLevel.seconds),
  serviceLevelTargetPercent: String(q.serviceLevel.targetPercent),
  maxWaitSeconds: q.maxWaitSeconds === null ? '' : String(q.maxWaitSeconds),
});
const NEW_QUEUE: QueueForm = {
  id: '',
  name: '',
  description: '',
  channel: 'voice',
  targetExpression: '',
  ordering: 'fifo',
  serviceLevelSeconds: '20',
  serviceLevelTargetPercent: '80',
  maxWaitSeconds: '',
};

function Queues() {
  const [queues, setQueues] = useState<TQueue[] | null>(null);
  const [form, setForm] = useState<QueueForm | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setQueues((await api<{ queues: TQueue[] }>('GET', '/api/v1/queues')).queues);
    } catch (e) {
      setError(problem(e, 'The queues could not be read.'));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const expression = form ? expressionProblem(form.targetExpression) : undefined;
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!form || expression) return;
    try {
      await api('PUT', `/api/v1/routing/queues/${encodeURIComponent(form.id)}`, {
        name: form.name,
        description: form.description,
        channel: form.channel,
        targetExpression: form.targetExpression,
        ordering: form.ordering,
        serviceLevelSeconds: Number(form.serviceLevelSeconds),
        serviceLevelTargetPercent: Number(form.serviceLevelTargetPercent),
        maxWaitSeconds: form.maxWaitSeconds.trim() === '' ? null : Number(form.maxWaitSeconds),
      });
      setNotice(`Saved queue ${form.id}: the routing engine uses it now.`);
      setError(null);
      setForm(null);
      await load();
    } catch (e) {
      setError(problem(e, 'The queue was not saved.'));
    }
  };
  const field = (key: keyof QueueForm, label: string, type = 'text') =>
    form && (
      <div className="field">
        <label htmlFor={`q-${key}`}>{label}</label>
        <input id={`q-${key}`} type={type} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
      </div>
    );
  return (
    <section aria-labelledby="admin-queues">
      <h2 id="admin-queues">Queues</h2>
      {error && <ErrorText>{error}</ErrorText>}
      {notice && (
        <p role="status" className="saved">
          {notice}
        </p>
      )}
      <button type="button" onClick={() => setForm(NEW_QUEUE)}>
        New queue
      </button>
      {form && (
        <form onSubmit={(e) => void save(e)} aria-label={form.id ? `Queue ${form.id}` : 'New queue'} className="queue-form">
          <div className="search">
            {field('id', 'Queue ID')}
            {field('name', 'Name')}
            {field('description', 'Description')}
            <div className="field">
              <label htmlFor="q-channel">Channel</label>
              <select
                id="q-channel"
                value={form.channel}
                onChange={(e) => setForm({ ...form, channel: e.target.value as QueueForm['channel'] })}
              >
                <option value="voice">voice</option>
                <option value="work_item">work item</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="q-ordering">Order</label>
              <select
                id="q-ordering"
                value={form.ordering}
                onChange={(e) => setForm({ ...form, ordering: e.target.value as QueueForm['ordering'] })}
              >
                <option value="fifo">oldest first</option>
                <option value="lifo">newest first</option>
              </select>
            </div>
            {field('serviceLevelSeconds', 'Service level: answered within (s)', 'number')}
            {field('serviceLevelTargetPercent', 'Service level target (%)', 'number')}
            {field('maxWaitSeconds', 'Longest wait (s, empty: none)', 'number')}
          </div>
          <div className="field wide">
            <label htmlFor="q-targetExpression">Which agents (target expression)</label>
            <textarea
              id="q-targetExpression"
              rows={2}
              value={form.targetExpression}
              aria-invalid={expression ? true : undefined}
              aria-describedby="q-expression-state"
              onChange={(e) => setForm({ ...form, targetExpression: e.target.value })}
            />
            <p id="q-expression-state" className={expression ? 'field-error' : 'muted'} aria-live="polite">
              {expression ? `Not valid ${expression}` : 'Valid: the routing engine reads it as written.'}
            </p>
          </div>
          <button type="submit" className="primary" disabled={expression !== undefined}>
            Save queue
          </button>
          <button type="button" onClick={() => setForm(null)}>
            Cancel
          </button>
        </form>
      )}
      {queues && (
        <table className="admin-queues">
          <caption>{queues.length} queues</caption>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Channel</th>
              <th scope="col">Which agents</th>
              <th scope="col">Service level</th>
              <th scope="col">Longest wait</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {queues.map((q) => (
              <tr key={q.id} data-queue={q.id}>
                <th scope="row">
                  {q.name} <span className="muted">({q.id})</span>
                </th>
                <td>{q.channel.replace('_', ' ')}</td>
                <td>
                  <code>{q.targetExpression}</code>
                </td>
                <td>
                  {q.serviceLevel.targetPercent} % within {q.serviceLevel.seconds} s
                </td>
                <td>{q.maxWaitSeconds === null ? '—' : `${q.maxWaitSeconds} s`}</td>
                <td>
                  <button type="button" onClick={() => setForm(formOf(q))}>
                    Edit<span className="visually-hidden"> {q.id}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Agencies() {
  const [q, setQ] = useState('');
  const [agencies, setAgencies] = useState<AgencyRecord[] | null>(null);
  const [editing, setEditing] = useState<{ agency: AgencyRecord; status: string; end: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const search = async (event?: FormEvent) => {
    event?.preventDefault();
    try {
      const params = new URLSearchParams({ limit: '100', ...(q.trim() ? { q: q.trim() } : {}) });
      setAgencies((await api<AgencyList>('GET', `/api/v1/agencies?${params.toString()}`)).agencies);
      setError(null);
    } catch (e) {
      setError(problem(e, 'The agencies could not be read.'));
    }
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    const a = editing.agency;
    try {
      await api('PUT', `/api/v1/agencies/${a.ori}`, {
        name: a.name,
        type: a.type,
        ...(a.county ? { county: a.county } : {}),
        agreementModel: a.agreement.model,
        agreementStatus: editing.status,
        agreementEffective: a.agreement.effective,
        ...(editing.end ? { agreementEnd: editing.end } : {}),
        contacts: a.contacts,
      });
      setNotice(`Saved the agreement of ${a.name} (${a.ori}): its submissions are checked against it from now on.`);
      setEditing(null);
      setError(null);
      await search();
    } catch (e) {
      setError(problem(e, 'The agreement was not saved.'));
    }
  };
  return (
    <section aria-labelledby="admin-agencies">
      <h2 id="admin-agencies">Agencies and agreements</h2>
      <form className="search" onSubmit={(e) => void search(e)}>
        <div className="field">
          <label htmlFor="ag-q">ORI or words of the name</label>
          <input id="ag-q" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <button type="submit" className="primary">
          Find agencies
        </button>
      </form>
      {error && <ErrorText>{error}</ErrorText>}
      {notice && (
        <p role="status" className="saved">
          {notice}
        </p>
      )}
      {editing && (
        <form className="search" onSubmit={(e) => void save(e)} aria-label={`Agreement of ${editing.agency.name}`}>
          <h3>
            Agreement of {editing.agency.name} ({editing.agency.ori})
          </h3>
          <div className="field">
            <label htmlFor="ag-status">Status</label>
            <select id="ag-status" value={editing.status} onChange={(e) => setEditing({ ...editing, status: e.target.value })}>
              {AGREEMENT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="ag-end">Last day in force</label>
            <input id="ag-end" type="date" value={editing.end} onChange={(e) => setEditing({ ...editing, end: e.target.value })} />
          </div>
          <button type="submit" className="primary">
            Save agreement
          </button>
          <button type="button" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      )}
      {agencies && (
        <table className="admin-agencies">
          <caption>{agencies.length} agencies shown</caption>
          <thead>
            <tr>
              <th scope="col">Agency</th>
              <th scope="col">Type</th>
              <th scope="col">Agreement</th>
              <th scope="col">In force</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {agencies.map((a) => (
              <tr key={a.ori} data-ori={a.ori}>
                <th scope="row">
                  {a.name} <span className="muted">({a.ori})</span>
                </th>
                <td>{a.type.replace('_', ' ')}</td>
                <td className={a.agreement.status === 'active' ? undefined : 'bad'}>
                  {a.agreement.model.replace(/_/g, ' ')}, {a.agreement.status}
                </td>
                <td>
                  {a.agreement.effective} – {a.agreement.end ?? 'open'}
                </td>
                <td>
                  <button type="button" onClick={() => setEditing({ agency: a, status: a.agreement.status, end: a.agreement.end ?? '' })}>
                    Change agreement<span className="visually-hidden"> of {a.ori}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const REFERRAL_LABEL: Record<(typeof HANDOFF_REFERRAL_TYPES)[number], string> = {
  orr: 'ORR welfare referrals',
  cps: 'CPS welfare referrals',
  ncmec: 'NCMEC welfare referrals',
};

/**
 * Who receives each type of welfare referral when the UAC unit hands it off (issue #22 item 4): the organisation's
 * name, the recipient kind the child's consent is checked against, and how it is reached — a signed webhook, or its
 * inbox (the portal way). The webhook's signing secret and the organisation's API credential are shown once, here,
 * when made; issuing a credential again revokes the one before.
 */
function ReceivingOrganisations() {
  const [organisations, setOrganisations] = useState<TOrganisation[] | null>(null);
  const [editing, setEditing] = useState<{ type: (typeof HANDOFF_REFERRAL_TYPES)[number]; name: string; kind: string; url: string } | null>(
    null,
  );
  const [secret, setSecret] = useState<{ title: string; value: string; note: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setOrganisations((await api<{ organisations: TOrganisation[] }>('GET', '/api/v1/admin/handoff-organisations')).organisations);
    } catch (e) {
      setError(problem(e, 'The receiving organisations could not be read.'));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    try {
      const saved = await api<TOrganisationSaved>('PUT', `/api/v1/admin/handoff-organisations/${editing.type}`, {
        name: editing.name,
        kind: editing.kind,
        webhookUrl: editing.url.trim() ? editing.url.trim() : null,
      });
      setSecret(
        saved.webhookSecret
          ? {
              title: `Webhook signing secret of ${saved.organisation.name}`,
              value: saved.webhookSecret,
              note: 'Give it to the organisation to check the X-Switchboard-Signature of each hand-off. It is not shown again.',
            }
          : null,
      );
      setNotice(`Saved: ${REFERRAL_LABEL[editing.type]} go to ${saved.organisation.name} from now on.`);
      setEditing(null);
      setError(null);
      await load();
    } catch (e) {
      setError(problem(e, 'The organisation was not saved.'));
    }
  };
  const issue = async (o: TOrganisation) => {
    try {
      const issued = await api<TCredentialIssued>('POST', `/api/v1/admin/handoff-organisations/${o.id}/credential`, {});
      setSecret({
        title: `API credential of ${o.name}`,
        value: issued.credential,
        note: 'The organisation answers its hand-offs with it (Authorization: Bearer). It is not shown again; any earlier one no longer works.',
      });
      setNotice(null);
      setError(null);
      await load();
    } catch (e) {
      setError(problem(e, 'No credential was issued.'));
    }
  };
  if (!organisations) return error ? <ErrorText>{error}</ErrorText> : <p className="loading">Loading the receiving organisations…</p>;
  return (
    <section aria-labelledby="admin-handoffs">
      <h2 id="admin-handoffs">Receiving organisations for hand-offs</h2>
      {error && <ErrorText>{error}</ErrorText>}
      {notice && (
        <p role="status" className="saved">
          {notice}
        </p>
      )}
      {secret && (
        <section className="phone-issued" aria-labelledby="handoff-secret-title" role="alert">
          <h3 id="handoff-secret-title">{secret.title}</h3>
          <p>
            <code data-handoff-secret>{secret.value}</code>
          </p>
          <p>{secret.note}</p>
          <button type="button" onClick={() => setSecret(null)}>
            I have passed it on
          </button>
        </section>
      )}
      {editing && (
        <form className="search" onSubmit={(e) => void save(e)} aria-label={`Receiver of ${REFERRAL_LABEL[editing.type]}`}>
          <h3>Receiver of {REFERRAL_LABEL[editing.type]}</h3>
          <div className="field">
            <label htmlFor="ho-name">Organisation</label>
            <input id="ho-name" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} required />
          </div>
          <div className="field">
            <label htmlFor="ho-kind">Kind (the child's consent is checked against it)</label>
            <select id="ho-kind" value={editing.kind} onChange={(e) => setEditing({ ...editing, kind: e.target.value })}>
              {HANDOFF_RECIPIENT_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="ho-url">Webhook URL (empty: the organisation reads its inbox)</label>
            <input id="ho-url" type="url" value={editing.url} onChange={(e) => setEditing({ ...editing, url: e.target.value })} />
          </div>
          <button type="submit" className="primary">
            Save receiver
          </button>
          <button type="button" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      )}
      <table className="admin-agencies">
        <caption>Who receives each type of welfare referral</caption>
        <thead>
          <tr>
            <th scope="col">Welfare referrals</th>
            <th scope="col">Organisation</th>
            <th scope="col">Reached by</th>
            <th scope="col">API credential</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {HANDOFF_REFERRAL_TYPES.map((type) => {
            const o = organisations.find((x) => x.referralType === type);
            return (
              <tr key={type} data-referral-type={type}>
                <th scope="row">{REFERRAL_LABEL[type]}</th>
                <td className={o ? undefined : 'bad'}>
                  {o ? `${o.name} (${o.kind.replace(/_/g, ' ')})` : 'not configured: cannot be handed off'}
                </td>
                <td>{o ? (o.webhookUrl ? `signed webhook to ${o.webhookUrl}` : 'its inbox') : '—'}</td>
                <td>{o ? (o.hasCredential ? 'issued' : 'none yet') : '—'}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => setEditing({ type, name: o?.name ?? '', kind: o?.kind ?? type, url: o?.webhookUrl ?? '' })}
                  >
                    {o ? 'Change' : 'Configure'}
                    <span className="visually-hidden"> the receiver of {REFERRAL_LABEL[type]}</span>
                  </button>{' '}
                  {o && (
                    <button type="button" onClick={() => void issue(o)}>
                      {o.hasCredential ? 'Issue a new credential' : 'Issue a credential'}
                      <span className="visually-hidden"> for {o.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

type LineFlow = LineFlows['flows'][number];
type Version = ConfigVersions['versions'][number];

/** Each line's IVR flow (menus, hours, holidays) and the version it answers with; one opened as a versioned document. */
function IvrFlowsSection() {
  const [lines, setLines] = useState<LineFlow[] | null>(null);
  const [line, setLine] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadLines = useCallback(async () => {
    try {
      setLines((await api<LineFlows>('GET', '/api/v1/ivr/flows')).flows);
    } catch (e) {
      setError(problem(e, 'The flows could not be read.'));
    }
  }, []);
  useEffect(() => {
    void loadLines();
  }, [loadLines]);
  return (
    <section aria-labelledby="admin-ivr">
      <h2 id="admin-ivr">IVR flows</h2>
      {error && <ErrorText>{error}</ErrorText>}
      {lines && (
        <table className="admin-ivr">
          <caption>Lines and the version each answers with</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Number</th>
              <th scope="col">Version</th>
              <th scope="col">Changed</th>
              <th scope="col">Open</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr key={l.line} data-line={l.line}>
                <th scope="row">{l.name}</th>
                <td>{l.line}</td>
                <td>{l.version === 0 ? '0 (as shipped)' : l.version}</td>
                <td>{l.changedAt ? `${l.changedAt.slice(0, 16).replace('T', ' ')} UTC by ${l.changedBy ?? '—'}` : '—'}</td>
                <td>
                  <button type="button" onClick={() => setLine(l.line)}>
                    Open<span className="visually-hidden"> the flow of {l.line}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {line && (
        <VersionedDocument
          key={line}
          base={`/api/v1/ivr/flows/${encodeURIComponent(line)}`}
          body="flow"
          name={`the flow of ${line}`}
          label={`The flow of ${line} (JSON, as in reference/ivr: menus, hours, holidays)`}
          inUse="new calls hear it now"
          onChange={loadLines}
        />
      )}
    </section>
  );
}

/** The intake forms and the wrap-up dispositions: one versioned document. */
function IntakeFormsSection() {
  return (
    <section aria-labelledby="admin-intake">
      <h2 id="admin-intake">Intake forms and dispositions</h2>
      <p>
        The forms each queue's agents fill and the dispositions they choose at wrap-up. “report_taken”, “callback_scheduled” and
        “callback_voicemail” are acted on by Switchboard: their labels may change, they may not go.
      </p>
      <VersionedDocument
        base="/api/v1/intake/forms"
        body="forms"
        name="the intake forms"
        label="The intake forms and dispositions (JSON, as in reference/intake-forms.json)"
        inUse="the agents' desktops use it now"
      />
    </section>
  );
}

/**
 * A configuration document in versions (`base`/versions, /rollback, /diff): edited as JSON (checked as JSON while
 * typed, by the server's schema on save), its versions with their notes, any one compared with the newest, a rollback.
 */
function VersionedDocument(props: {
  base: string;
  body: 'flow' | 'forms';
  name: string;
  label: string;
  inUse: string;
  onChange?: () => Promise<void>;
}) {
  const { base, body, name, label, inUse, onChange } = props;
  const [versions, setVersions] = useState<Version[]>([]);
  const [text, setText] = useState('');
  const [note, setNote] = useState('');
  const [diff, setDiff] = useState<{ from: number; text: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const list = (await api<ConfigVersions>('GET', `${base}/versions`)).versions;
      const newest = list[0]?.version ?? 0;
      const current = await api<Record<string, unknown>>('GET', `${base}/versions/${newest}`);
      setVersions(list);
      setText(JSON.stringify(current[body], null, 2));
      setDiff(null);
    } catch (e) {
      setError(problem(e, `Could not read ${name}.`));
    }
  }, [base, body, name]);
  useEffect(() => {
    void load();
  }, [load]);
  const parsed = (() => {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (e) {
      return { error: e instanceof Error ? e.message : 'not JSON' };
    }
  })();
  const done = async (message: string) => {
    setNotice(message);
    setError(null);
    setNote('');
    await onChange?.();
    await load();
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!('value' in parsed)) return;
    try {
      const { version } = await api<{ version: number }>('POST', `${base}/versions`, { [body]: parsed.value, note });
      await done(`Saved version ${version} of ${name}: ${inUse}.`);
    } catch (e) {
      setError(problem(e, `${name} was not saved.`));
    }
  };
  const compare = async (from: number) => {
    const to = versions[0]?.version ?? 0;
    try {
      setDiff({ from, text: (await api<{ diff: string }>('GET', `${base}/diff?from=${from}&to=${to}`)).diff });
    } catch (e) {
      setError(problem(e, 'The versions could not be compared.'));
    }
  };
  const rollback = async (to: number) => {
    const why = window.prompt(`Roll ${name} back to version ${to}: why? (it becomes the newest version; the history keeps the rest)`);
    if (!why) return;
    try {
      const { version } = await api<{ version: number }>('POST', `${base}/rollback`, { toVersion: to, note: why });
      await done(`Rolled ${name} back to version ${to}, as version ${version}: ${inUse}.`);
    } catch (e) {
      setError(problem(e, 'The rollback failed.'));
    }
  };
  const id = body === 'flow' ? 'ivr-flow' : 'intake-forms';
  return (
    <>
      {error && <ErrorText>{error}</ErrorText>}
      {notice && (
        <p role="status" className="saved">
          {notice}
        </p>
      )}
      <form onSubmit={(e) => void save(e)} aria-label={`Edit ${name}`}>
        <div className="field wide">
          <label htmlFor={id}>{label}</label>
          <textarea
            id={id}
            rows={14}
            value={text}
            aria-invalid={'error' in parsed ? true : undefined}
            aria-describedby={`${id}-state`}
            onChange={(e) => setText(e.target.value)}
          />
          <p id={`${id}-state`} className={'error' in parsed ? 'field-error' : 'muted'} aria-live="polite">
            {'error' in parsed ? `Not JSON: ${parsed.error}` : 'JSON; the server checks it against the schema when you save.'}
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-note`}>What changed, and why</label>
          <input id={`${id}-note`} value={note} onChange={(e) => setNote(e.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={'error' in parsed}>
          Save as a new version
        </button>
      </form>
      <table className="versions">
        <caption>Versions of {name}, the newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Note</th>
            <th scope="col">By</th>
            <th scope="col">When (UTC)</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v, i) => (
            <tr key={v.version} data-version={v.version}>
              <th scope="row">
                {v.version}
                {i === 0 ? ' (in use)' : ''}
              </th>
              <td>
                {v.note}
                {v.restoredFrom !== null ? ` (a rollback to version ${v.restoredFrom})` : ''}
              </td>
              <td>{v.createdBy ?? '—'}</td>
              <td>{v.createdAt ? v.createdAt.slice(0, 16).replace('T', ' ') : '—'}</td>
              <td>
                {i > 0 && (
                  <>
                    <button type="button" onClick={() => void compare(v.version)}>
                      Compare with the newest<span className="visually-hidden"> (version {v.version})</span>
                    </button>
                    <button type="button" onClick={() => void rollback(v.version)}>
                      Roll back to version {v.version}
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {diff && (
        <figure>
          <figcaption>
            Version {diff.from} against the newest (lines with - are only in version {diff.from}, lines with + only in the newest)
          </figcaption>
          <pre className="diff">{diff.text}</pre>
        </figure>
      )}
    </>
  );
}
