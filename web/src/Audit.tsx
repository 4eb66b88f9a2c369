import type { AuditEventList, AuditKey, AuditVerify, MinorReadsReport, RefusalsReport } from '@contracts/views.js';
import { type FormEvent, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';

/**
 * The auditor's console: the chain's state (verified from the page), the log searched by who, what, which record,
 * purpose, outcome and days, the export of a search with the proof of each event, and the oversight reports — reads
 * of children's records and refusals. Every read here is itself in the audit log.
 */

type AuditEvent = AuditEventList['events'][number];
type Filter = {
  username: string;
  action: string;
  resourceType: string;
  resourceId: string;
  purpose: string;
  outcome: string;
  fromDay: string;
  toDay: string;
};
const EMPTY: Filter = { username: '', action: '', resourceType: '', resourceId: '', purpose: '', outcome: '', fromDay: '', toDay: '' };
const PAGE = 50;

const problem = (e: unknown, fallback: string): string =>
  e instanceof ApiError ? [e.message, ...e.issues.map((i) => `${i.path}: ${i.message}`)].join(' ') : fallback;

/** An instant as the log holds it: UTC, to the second. */
const utc = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;

const queryOf = (f: Partial<Filter>): URLSearchParams =>
  new URLSearchParams(
    Object.entries(f).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].trim() !== ''),
  );

export function Audit() {
  return (
    <div className="audit">
      <h1>Audit</h1>
      <p>Times are UTC, as the log holds them; days are days on the center’s calendar. What you read here is itself recorded in the log.</p>
      <ChainState />
      <Search />
      <Reports />
    </div>
  );
}

function ChainState() {
  const [state, setState] = useState<{ check: AuditVerify; key: AuditKey } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const verify = async () => {
    setBusy(true);
    try {
      const [check, key] = await Promise.all([api<AuditVerify>('GET', '/api/v1/audit/verify'), api<AuditKey>('GET', '/api/v1/audit/key')]);
      setState({ check, key });
      setError(null);
    } catch (e) {
      setError(problem(e, 'The chain could not be verified.'));
    } finally {
      setBusy(false);
    }
  };
  const check = state?.check;
  return (
    <section aria-labelledby="audit-chain">
      <h2 id="audit-chain">The chain</h2>
      <button type="button" className="primary" onClick={() => void verify()} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify the chain now'}
      </button>
      {error && <ErrorText>{error}</ErrorText>}
      <div role="status" data-chain-state={check ? (check.intact ? 'intact' : 'broken') : 'unchecked'}>
        {check && (
          <>
            <p className={check.intact ? 'good' : 'bad'}>
              {check.intact
                ? `Intact: ${check.count} events chained, ${check.signedBatches} signed batch${check.signedBatches === 1 ? '' : 'es'} checked.`
                : `Broken at event ${check.brokenAt}: ${check.reason}`}
            </p>
            <dl className="chain-facts">
              <dt>Waiting to be sealed</dt>
              <dd>
                {check.pending.count} event{check.pending.count === 1 ? '' : 's'}
                {check.pending.oldestAgeMs !== null ? `, the oldest ${Math.round(check.pending.oldestAgeMs / 1000)} s` : ''}
              </dd>
              <dt>Newest signed batch</dt>
              <dd>
                {check.latestHead
                  ? `batch ${check.latestHead.batch}, events ${check.latestHead.firstSeq}–${check.latestHead.lastSeq}, head ${check.latestHead.headHash.slice(0, 16)}…`
                  : 'none yet'}
              </dd>
              <dt>Sealer’s key</dt>
              <dd>
                {state.key.algorithm} {state.key.keyId} (compare with the key published outside Switchboard)
              </dd>
            </dl>
          </>
        )}
      </div>
    </section>
  );
}

function Search() {
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [shown, setShown] = useState<{ filter: Filter; events: AuditEvent[]; more: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);

  const page = async (f: Filter, beforeSeq?: number): Promise<{ events: AuditEvent[]; more: boolean }> => {
    const params = queryOf(f);
    params.set('order', 'desc');
    params.set('limit', String(PAGE));
    if (beforeSeq !== undefined) params.set('beforeSeq', String(beforeSeq));
    const { events } = await api<AuditEventList>('GET', `/api/v1/audit/events?${params.toString()}`);
    return { events, more: events.length === PAGE };
  };
  const search = async (event?: FormEvent) => {
    event?.preventDefault();
    try {
      const first = await page(filter);
      setShown({ filter, ...first });
      setError(null);
      setExported(null);
    } catch (e) {
      setError(problem(e, 'The search failed.'));
    }
  };
  const older = async () => {
    if (!shown) return;
    const last = shown.events.findLast((e) => e.seq !== null)?.seq;
    if (last === undefined || last === null) return;
    try {
      const next = await page(shown.filter, last);
      setShown({ filter: shown.filter, events: [...shown.events, ...next.events], more: next.more });
    } catch (e) {
      setError(problem(e, 'The next page could not be read.'));
    }
  };
  const exportFile = async () => {
    try {
      const file = await api<{ events: unknown[]; unprovable: number; truncated: boolean }>(
        'GET',
        `/api/v1/audit/export?${queryOf(filter).toString()}`,
      );
      const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `audit-export-${filter.fromDay || 'start'}-${filter.toDay || 'now'}.json`;
      link.click();
      URL.revokeObjectURL(url);
      setExported(
        `Exported ${file.events.length} event${file.events.length === 1 ? '' : 's'} with their proofs` +
          (file.unprovable ? `; ${file.unprovable} not sealed yet are not in the file` : '') +
          (file.truncated ? '; more matched than one file holds — narrow the days' : '') +
          '. Check it with: switchboard audit check-export <file> --key <published key>.',
      );
      setError(null);
    } catch (e) {
      setError(problem(e, 'The export failed.'));
    }
  };
  const field = (key: keyof Filter, label: string, type = 'text') => (
    <div className="field">
      <label htmlFor={`au-${key}`}>{label}</label>
      <input id={`au-${key}`} type={type} value={filter[key]} onChange={(e) => setFilter({ ...filter, [key]: e.target.value })} />
    </div>
  );
  return (
    <section aria-labelledby="audit-search">
      <h2 id="audit-search">Search the log</h2>
      <form className="search" onSubmit={(e) => void search(e)}>
        {field('username', 'Who (username)')}
        {field('action', 'Action (e.g. person.read)')}
        {field('resourceType', 'Record type')}
        {field('resourceId', 'Record ID')}
        {field('purpose', 'Words in the purpose')}
        <div className="field">
          <label htmlFor="au-outcome">Outcome</label>
          <select id="au-outcome" value={filter.outcome} onChange={(e) => setFilter({ ...filter, outcome: e.target.value })}>
            <option value="">Any</option>
            <option value="allowed">allowed</option>
            <option value="denied">refused</option>
            <option value="error">error</option>
          </select>
        </div>
        {field('fromDay', 'From day', 'date')}
        {field('toDay', 'To day (included)', 'date')}
        <button type="submit" className="primary">
          Search
        </button>
        <button type="button" onClick={() => void exportFile()}>
          Export with proof
        </button>
      </form>
      {error && <ErrorText>{error}</ErrorText>}
      {exported && (
        <p role="status" className="saved">
          {exported}
        </p>
      )}
      {shown && (
        <>
          <table className="audit-events">
            <caption>
              {shown.events.length} event{shown.events.length === 1 ? '' : 's'} shown, newest first
              {shown.more ? ' (there are older ones)' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Record</th>
                <th scope="col">Purpose</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {shown.events.map((e) => (
                <tr key={`${e.seq ?? 'pending'}-${e.occurredAt}-${e.action}-${e.requestId ?? ''}`} data-audit-seq={e.seq ?? 'pending'}>
                  <td>{e.seq ?? 'sealing…'}</td>
                  <td>{utc(e.occurredAt)}</td>
                  <td>{e.actorUsername ?? (e.actorType === 'user' ? e.actorId : e.actorType)}</td>
                  <td>{e.action}</td>
                  <td>{e.resourceType ? `${e.resourceType} ${e.resourceId ?? ''}` : '—'}</td>
                  <td>{e.purpose ?? '—'}</td>
                  <td className={e.outcome === 'allowed' ? undefined : 'bad'}>{e.outcome === 'denied' ? 'refused' : e.outcome}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.more && (
            <button type="button" onClick={() => void older()}>
              Older events
            </button>
          )}
        </>
      )}
    </section>
  );
}

function Reports() {
  const [days, setDays] = useState({ fromDay: '', toDay: '' });
  const [minor, setMinor] = useState<MinorReadsReport | null>(null);
  const [refusals, setRefusals] = useState<RefusalsReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (event: FormEvent) => {
    event.preventDefault();
    const q = queryOf(days).toString();
    try {
      const [m, r] = await Promise.all([
        api<MinorReadsReport>('GET', `/api/v1/audit/minor-reads?${q}`),
        api<RefusalsReport>('GET', `/api/v1/audit/refusals?${q}`),
      ]);
      setMinor(m);
      setRefusals(r);
      setError(null);
    } catch (e) {
      setError(problem(e, 'The reports could not be read.'));
    }
  };
  return (
    <section aria-labelledby="audit-reports">
      <h2 id="audit-reports">Oversight reports</h2>
      <form className="search" onSubmit={(e) => void run(e)}>
        <div className="field">
          <label htmlFor="ar-from">From day</label>
          <input id="ar-from" type="date" value={days.fromDay} onChange={(e) => setDays({ ...days, fromDay: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="ar-to">To day (included)</label>
          <input id="ar-to" type="date" value={days.toDay} onChange={(e) => setDays({ ...days, toDay: e.target.value })} />
        </div>
        <button type="submit" className="primary">
          Show the reports
        </button>
      </form>
      <p>Without days, reads of children’s records are the newest ones and refusals are the last 7 days.</p>
      {error && <ErrorText>{error}</ErrorText>}
      {minor && (
        <>
          <h3>Reads of children’s records</h3>
          <table className="minor-reads">
            <caption>By user</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Reads</th>
                <th scope="col">Refused</th>
              </tr>
            </thead>
            <tbody>
              {minor.byUser.length === 0 && (
                <tr>
                  <td colSpan={3}>None.</td>
                </tr>
              )}
              {minor.byUser.map((u) => (
                <tr key={u.actorId ?? 'none'}>
                  <th scope="row">{u.username ?? u.actorId ?? 'unknown'}</th>
                  <td>{u.reads}</td>
                  <td>{u.refused}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>Each read, with its purpose</caption>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Record</th>
                <th scope="col">Purpose</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {minor.reads.map((r) => (
                <tr key={`${r.at}-${r.actorId}-${r.action}-${r.resourceId}`}>
                  <td>{utc(r.at)}</td>
                  <td>{r.username ?? r.actorId ?? '—'}</td>
                  <td>{r.action}</td>
                  <td>{r.resourceType ? `${r.resourceType} ${r.resourceId ?? ''}` : '—'}</td>
                  <td>{r.purposeCode ? `${r.purposeCode}: ${r.purposeText ?? ''}` : (r.purposeText ?? '—')}</td>
                  <td className={r.outcome === 'allowed' ? undefined : 'bad'}>
                    {r.outcome === 'allowed' ? 'read' : `refused (${r.rule ?? '—'})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {refusals && (
        <>
          <h3>Refusals</h3>
          <p>
            {refusals.total} refusal{refusals.total === 1 ? '' : 's'} in the range.
          </p>
          <div className="grid">
            <table className="refusals-by-rule">
              <caption>By rule</caption>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Refusals</th>
                </tr>
              </thead>
              <tbody>
                {refusals.byRule.map((r) => (
                  <tr key={r.rule}>
                    <th scope="row">{r.rule}</th>
                    <td>{r.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table className="refusals-by-actor">
              <caption>By who</caption>
              <thead>
                <tr>
                  <th scope="col">Who</th>
                  <th scope="col">Refusals</th>
                </tr>
              </thead>
              <tbody>
                {refusals.byActor.map((a) => (
                  <tr key={`${a.actorType}-${a.actorId}`}>
                    <th scope="row">{a.username ?? (a.actorType === 'user' ? a.actorId : a.actorType)}</th>
                    <td>{a.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <table>
            <caption>The newest refusals</caption>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Record</th>
                <th scope="col">Rule</th>
              </tr>
            </thead>
            <tbody>
              {refusals.refusals.map((r) => (
                <tr key={`${r.seq ?? 'pending'}-${r.at}-${r.action}`}>
                  <td>{utc(r.at)}</td>
                  <td>{r.username ?? (r.actorType === 'user' ? r.actorId : r.actorType)}</td>
                  <td>{r.action}</td>
                  <td>{r.resourceType ? `${r.resourceType} ${r.resourceId ?? ''}` : '—'}</td>
                  <td>{r.rule}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
