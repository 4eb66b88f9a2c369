import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';
import { MapView } from './MapView.js';
import { PartnerRequests } from './PartnerRequests.js';

/**
 * Case management screens: search, the case workspace (timeline, persons,
 * locations on a map, referrals with the safeguard gate's answer), the person
 * page (identifiers, other names, location history with sources, linked cases,
 * duplicate candidates with their evidence). Records of children ask for a
 * purpose of use first; it goes into the audit log with the read.
 */

const PURPOSES = [
  'case_work',
  'welfare_check',
  'location_follow_up',
  'referral_preparation',
  'legal_review',
  'supervision',
  'quality_review',
  'other',
];
type Purpose = { code: string; text: string };

/** Loads a record; when the server asks for a purpose of use, asks the user for one and tries again with it. */
function usePurposefulLoad<T>(url: string | null) {
  const [data, setData] = useState<T | null>(null);
  const [needsPurpose, setNeedsPurpose] = useState(false);
  const [purpose, setPurpose] = useState<Purpose | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    if (!url) return;
    const q = purpose ? `${url.includes('?') ? '&' : '?'}purposeCode=${purpose.code}&purpose=${encodeURIComponent(purpose.text)}` : '';
    try {
      setData(await api<T>('GET', `${url}${q}`));
      setNeedsPurpose(false);
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'purpose_required') setNeedsPurpose(true);
      else setError(e instanceof ApiError ? e.message : 'Something went wrong.');
    }
  }, [url, purpose]);
  useEffect(() => {
    void load();
  }, [load]);
  return { data, needsPurpose, error, setPurpose, reload: load, purpose };
}

function PurposeForm({ onPurpose }: { onPurpose: (p: Purpose) => void }) {
  const [code, setCode] = useState('case_work');
  const [text, setText] = useState('');
  return (
    <form
      className="purpose"
      onSubmit={(e) => {
        e.preventDefault();
        onPurpose({ code, text });
      }}
    >
      <h2>This is a child's record</h2>
      <p>Say why you are opening it. The reason is kept in the audit log with your name and the time.</p>
      <label htmlFor="purpose-code">Purpose</label>
      <select id="purpose-code" value={code} onChange={(e) => setCode(e.target.value)}>
        {PURPOSES.map((p) => (
          <option key={p} value={p}>
            {p.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
      <label htmlFor="purpose-text">In your words (at least 10 characters)</label>
      <input id="purpose-text" value={text} onChange={(e) => setText(e.target.value)} minLength={10} required />
      <button type="submit" className="primary">
        Open the record
      </button>
    </form>
  );
}

type CaseSummary = {
  id: string;
  caseNumber: string;
  type: string;
  status: string;
  priority: string;
  aorOfficeCode: string | null;
  summary: string;
  updatedAt: string;
};

export function CaseSearch() {
  const [query, setQuery] = useState({ q: '', phone: '', address: '', aor: '', status: '' });
  const [result, setResult] = useState<{ cases: CaseSummary[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = async (event?: FormEvent) => {
    event?.preventDefault();
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v.trim() !== ''));
    try {
      setResult(await api('GET', `/api/v1/cases?${params.toString()}`));
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? [e.message, ...e.issues.map((i) => `${i.path}: ${i.message}`)].join(' ') : 'Search failed.');
    }
  };
  const field = (key: keyof typeof query, label: string) => (
    <div className="field">
      <label htmlFor={`cs-${key}`}>{label}</label>
      <input id={`cs-${key}`} value={query[key]} onChange={(e) => setQuery({ ...query, [key]: e.target.value })} />
    </div>
  );
  return (
    <div className="cases">
      <h1>Cases</h1>
      <form className="search" onSubmit={(e) => void search(e)}>
        {field('q', 'Case number, words or a name')}
        {field('phone', 'Phone')}
        {field('address', 'Street, city or ZIP')}
        {field('aor', 'Field office (e.g. HLG)')}
        <div className="field">
          <label htmlFor="cs-status">Status</label>
          <select id="cs-status" value={query.status} onChange={(e) => setQuery({ ...query, status: e.target.value })}>
            <option value="">Any</option>
            {['new', 'triage', 'active', 'referred', 'closed'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      {error && <ErrorText>{error}</ErrorText>}
      {result && (
        <table>
          <caption>
            {result.total} case{result.total === 1 ? '' : 's'} found
          </caption>
          <thead>
            <tr>
              <th scope="col">Case</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Priority</th>
              <th scope="col">Office</th>
              <th scope="col">Summary</th>
            </tr>
          </thead>
          <tbody>
            {result.cases.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <a href={`#/cases/${c.id}`}>{c.caseNumber}</a>
                </th>
                <td>{c.type.replace(/_/g, ' ')}</td>
                <td>{c.status}</td>
                <td>{c.priority}</td>
                <td>{c.aorOfficeCode ?? '—'}</td>
                <td>{c.summary}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

type Location = {
  id: string;
  personId: string;
  line1: string | null;
  city: string | null;
  county: string | null;
  state: string | null;
  zip: string | null;
  latitude: number | null;
  longitude: number | null;
  precision: string;
  aorOfficeCode: string | null;
  source: string;
  confidence: string;
  observedAt: string;
  verified: { at: string } | null;
};
type Gate = { decision: string; reasons: { rule: string; effect: string; message: string; missing?: string }[] } | null;
type CaseView = CaseSummary & {
  version: number;
  statusReason: string | null;
  subjects: {
    personId: string;
    role: string;
    givenNames: string;
    familyName1: string;
    familyName2: string | null;
    dob: string | null;
    isMinor: boolean | 'unknown';
  }[];
  reports: {
    id: string;
    reference: string;
    source: string;
    grading: { sourceReliability: string; informationCredibility: number };
    narrative: string;
    receivedAt: string;
    reporter?: { name: string | null; phone: string | null };
  }[];
  locations: Location[];
  referrals: { id: string; reference: string; status: string; fieldOfficeCode: string; purpose: string }[];
  timeline: { at: string; kind: string; details: Record<string, unknown> }[];
};

const address = (l: Location) => [l.line1, l.city, l.county ? `${l.county} County` : null, l.state, l.zip].filter(Boolean).join(', ');

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `sec-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <section aria-labelledby={id} className="panel">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function CaseWorkspace({ id }: { id: string }) {
  const { data, needsPurpose, error, setPurpose, reload } = usePurposefulLoad<CaseView>(`/api/v1/cases/${id}`);
  const [message, setMessage] = useState<string | null>(null);
  const [gate, setGate] = useState<Gate>(null);
  const [purpose, setReferralPurpose] = useState('enforcement');
  if (needsPurpose) return <PurposeForm onPurpose={setPurpose} />;
  if (error) return <ErrorText>{error}</ErrorText>;
  if (!data) return <p className="loading">Loading the case…</p>;
  const act = async (work: () => Promise<unknown>, done: string) => {
    setMessage(null);
    try {
      await work();
      setMessage(done);
    } catch (e) {
      setMessage(e instanceof ApiError ? [e.message, ...e.issues.map((i) => i.message)].join(' — ') : 'Something went wrong.');
    }
    await reload();
  };
  const refer = () =>
    act(async () => {
      const draft = await api<{ id: string }>('POST', `/api/v1/cases/${id}/referrals`, { purpose });
      try {
        const sent = await api<{ status: string; gate: Gate }>('POST', `/api/v1/referrals/${draft.id}/submit`, {});
        setGate(sent.gate);
      } catch (e) {
        if (e instanceof ApiError && e.code === 'referral_blocked')
          setGate({ decision: 'block', reasons: e.issues.map((i) => ({ rule: i.code, effect: 'block', message: i.message })) });
        throw e;
      }
    }, 'Referral submitted.');
  return (
    <div className="workspace">
      <h1>
        Case {data.caseNumber} <span className="badge">{data.status}</span> <span className="badge">{data.priority}</span>
      </h1>
      <p>
        {data.type.replace(/_/g, ' ')} — {data.summary} — field office {data.aorOfficeCode ?? 'not yet known'}
      </p>
      {message && (
        <p role="status" className="notice">
          {message}
        </p>
      )}
      <div className="grid">
        <Section title="Persons">
          <ul>
            {data.subjects.map((s) => (
              <li key={s.personId}>
                <a href={`#/persons/${s.personId}`}>
                  {s.givenNames} {s.familyName1} {s.familyName2 ?? ''}
                </a>{' '}
                ({s.role}
                {s.isMinor === true ? ', minor' : s.isMinor === 'unknown' ? ', age unknown' : ''})
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Locations">
          <MapView
            title={`Locations of case ${data.caseNumber}`}
            points={data.locations.map((l) => ({
              id: l.id,
              latitude: l.latitude,
              longitude: l.longitude,
              label: address(l),
              verified: l.verified !== null,
            }))}
          />
          <table>
            <thead>
              <tr>
                <th scope="col">Place</th>
                <th scope="col">Precision</th>
                <th scope="col">Observed</th>
                <th scope="col">Source</th>
                <th scope="col">Verified</th>
              </tr>
            </thead>
            <tbody>
              {data.locations.map((l) => (
                <tr key={l.id}>
                  <td>{address(l)}</td>
                  <td>{l.precision}</td>
                  <td>{new Date(l.observedAt).toLocaleString()}</td>
                  <td>
                    {l.source} ({l.confidence})
                  </td>
                  <td>{l.verified ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="Reports">
          {data.reports.map((r) => (
            <article key={r.id} className="report">
              <h3>
                {r.reference} — {r.source}, graded {r.grading.sourceReliability}
                {r.grading.informationCredibility}
              </h3>
              {r.reporter && (
                <p>
                  Reporter: {r.reporter.name ?? 'not given'} {r.reporter.phone ?? ''}
                </p>
              )}
              <p>{r.narrative}</p>
            </article>
          ))}
        </Section>
        <Section title="Referrals">
          <ul>
            {data.referrals.map((r) => (
              <li key={r.id}>
                {r.reference}: {r.purpose.replace(/_/g, ' ')} to {r.fieldOfficeCode} — {r.status.replace(/_/g, ' ')}
              </li>
            ))}
          </ul>
          <label htmlFor="ref-purpose">Refer for</label>
          <select id="ref-purpose" value={purpose} onChange={(e) => setReferralPurpose(e.target.value)}>
            <option value="enforcement">enforcement</option>
            <option value="location_information">location information</option>
            <option value="welfare">welfare</option>
          </select>
          <button type="button" onClick={() => void refer()}>
            Refer to the field office
          </button>
          {gate && (
            <div className="gate" role="status">
              <p>
                Safeguards: <strong>{gate.decision.replace(/_/g, ' ')}</strong>
              </p>
              <ul>
                {gate.reasons.map((r) => (
                  <li key={`${r.rule}-${r.message}`}>{r.message}</li>
                ))}
              </ul>
            </div>
          )}
        </Section>
        <Section title="Requests to partner agencies">
          <PartnerRequests
            caseId={id}
            subjects={data.subjects.map((s) => ({ personId: s.personId, name: `${s.givenNames} ${s.familyName1}` }))}
          />
        </Section>
        <Section title="Timeline">
          <ol className="timeline">
            {data.timeline.map((e) => (
              <li key={`${e.at}-${e.kind}-${JSON.stringify(e.details)}`}>
                <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time> {e.kind.replace(/_/g, ' ')}
              </li>
            ))}
          </ol>
        </Section>
      </div>
    </div>
  );
}

type PersonView = {
  id: string;
  givenNames: string;
  familyName1: string;
  familyName2: string | null;
  dob: string | null;
  dobBasis: string;
  isMinor: boolean | 'unknown';
  ageBecause: string;
  dobAssertions: { dob: string | null; basis: string; source: string; recordedAt: string; ageToday: number | null }[];
  ageDeterminations: { id: string; dob: string; basis: string; evidence: string; determinedBy: string | null; determinedAt: string }[];
  sex: string;
  nationalities: string[];
  languages: string[];
  interpreterNeeded: boolean;
  identifiers?: { aNumber: string | null; others: { kind: string; value: string; issuer: string | null }[] };
  otherNames: { givenNames: string; familyName1: string; familyName2: string | null; kind: string }[];
  cases?: { id: string; caseNumber: string; type: string; status: string; role: string }[];
  locations: Location[];
  protectionsInForce: { label: string; reference: string }[];
  mergedInto: string | null;
};
type Hit = {
  id: string;
  /** A child (or a person of unknown age) shown without a stated purpose: no name, no date of birth. */
  restricted: boolean;
  givenNames: string | null;
  familyName1: string | null;
  familyName2: string | null;
  dob: string | null;
  match: { verdict: string; weight: number; evidence: { explanation: string }[] };
};

const withPurpose = (url: string, purpose: Purpose | null) =>
  purpose ? `${url}${url.includes('?') ? '&' : '?'}purposeCode=${purpose.code}&purpose=${encodeURIComponent(purpose.text)}` : url;

export function PersonPage({ id, canDetermineAge = false }: { id: string; canDetermineAge?: boolean }) {
  const { data, needsPurpose, error, setPurpose, purpose, reload } = usePurposefulLoad<PersonView>(`/api/v1/persons/${id}`);
  const [dupes, setDupes] = useState<Hit[] | null>(null);
  useEffect(() => {
    // The duplicates of a child's record are asked for with the same purpose the record was opened with.
    if (!data) return;
    api<{ persons: Hit[] }>('GET', withPurpose(`/api/v1/persons/${id}/duplicates`, purpose)).then(
      (r) => setDupes(r.persons),
      () => setDupes(null),
    );
  }, [id, data, purpose]);
  if (needsPurpose) return <PurposeForm onPurpose={setPurpose} />;
  if (error) return <ErrorText>{error}</ErrorText>;
  if (!data) return <p className="loading">Loading the person…</p>;
  return (
    <div className="person">
      <h1>
        {data.givenNames} {data.familyName1} {data.familyName2 ?? ''}
      </h1>
      {data.mergedInto && (
        <p className="notice">
          This record is merged into <a href={`#/persons/${data.mergedInto}`}>another record</a>.
        </p>
      )}
      <p>
        Born {data.dob ?? 'unknown'} ({data.dobBasis})
        {data.isMinor === true ? ' — a minor or possible minor' : data.isMinor === 'unknown' ? ' — age unknown' : ''}
        {`; sex ${data.sex}; nationality ${data.nationalities.join(', ') || 'unknown'}; languages ${data.languages.join(', ') || 'unknown'}`}
        {data.interpreterNeeded ? ' — interpreter needed' : ''}
      </p>
      {data.protectionsInForce.length > 0 && (
        <p className="notice">Protections in force: {data.protectionsInForce.map((p) => `${p.label} (${p.reference})`).join('; ')}</p>
      )}
      <div className="grid">
        <Section title="Dates of birth given">
          <p>{data.ageBecause}.</p>
          <table>
            <caption>Every date of birth given for this person, side by side</caption>
            <thead>
              <tr>
                <th scope="col">Date of birth</th>
                <th scope="col">Basis</th>
                <th scope="col">Age today</th>
                <th scope="col">Source</th>
                <th scope="col">Recorded</th>
              </tr>
            </thead>
            <tbody>
              {data.dobAssertions.map((a) => (
                <tr key={`${a.recordedAt}-${a.dob}-${a.basis}`}>
                  <td>{a.dob ?? 'unknown'}</td>
                  <td>{a.basis}</td>
                  <td>{a.ageToday ?? '—'}</td>
                  <td>{a.source}</td>
                  <td>{new Date(a.recordedAt).toLocaleDateString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.ageDeterminations.map((d) => (
            <p key={d.id} className="notice">
              Age determined {new Date(d.determinedAt).toLocaleDateString()} by {d.determinedBy ?? 'a legal reviewer'}: born {d.dob} (
              {d.basis.replace(/_/g, ' ')}) — {d.evidence}
            </p>
          ))}
          {canDetermineAge && <AgeDeterminationForm personId={id} onDone={() => void reload()} />}
        </Section>
        <Section title="Identifiers">
          {data.identifiers ? (
            <ul>
              <li>A-number: {data.identifiers.aNumber ? `A${data.identifiers.aNumber}` : 'none on file'}</li>
              {data.identifiers.others.map((i) => (
                <li key={`${i.kind}-${i.value}`}>
                  {i.kind.replace(/_/g, ' ')}: {i.value}
                  {i.issuer ? ` (${i.issuer})` : ''}
                </li>
              ))}
            </ul>
          ) : (
            <p>Your role does not see identifiers.</p>
          )}
        </Section>
        <Section title="Other names">
          <ul>
            {data.otherNames.length === 0 && <li>None</li>}
            {data.otherNames.map((n) => (
              <li key={`${n.kind}-${n.givenNames}-${n.familyName1}`}>
                {n.givenNames} {n.familyName1} {n.familyName2 ?? ''} ({n.kind.replace(/_/g, ' ')})
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Location history">
          <MapView
            title="Location history"
            points={data.locations.map((l) => ({
              id: l.id,
              latitude: l.latitude,
              longitude: l.longitude,
              label: address(l),
              verified: l.verified !== null,
            }))}
          />
          <ul>
            {data.locations.map((l) => (
              <li key={l.id}>
                {new Date(l.observedAt).toLocaleDateString()}: {address(l)} — {l.precision}, {l.source}
                {l.verified ? ', verified' : ''}
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Cases">
          <ul>
            {(data.cases ?? []).map((c) => (
              <li key={c.id}>
                <a href={`#/cases/${c.id}`}>{c.caseNumber}</a> — {c.type.replace(/_/g, ' ')}, {c.status} ({c.role})
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Possible duplicates">
          {dupes === null || dupes.length === 0 ? (
            <p>None found.</p>
          ) : (
            <ul>
              {dupes.map((d) => (
                <li key={d.id}>
                  <a href={`#/persons/${d.id}`}>
                    {d.restricted
                      ? 'A child (or a person of unknown age): open with a purpose'
                      : `${d.givenNames} ${d.familyName1} ${d.familyName2 ?? ''}`}
                  </a>{' '}
                  — {d.match.verdict} ({d.match.weight.toFixed(1)}): {d.match.evidence.map((e) => e.explanation).join('; ')}
                </li>
              ))}
            </ul>
          )}
        </Section>
      </div>
    </div>
  );
}

/** A legal reviewer records a date of birth found from documents, an assessment or a court: it decides from then on. */
function AgeDeterminationForm({ personId, onDone }: { personId: string; onDone: () => void }) {
  const [dob, setDob] = useState('');
  const [basis, setBasis] = useState('documents');
  const [evidence, setEvidence] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    try {
      const r = await api<{ ageBecause: string }>('POST', `/api/v1/persons/${personId}/age-determinations`, { dob, basis, evidence });
      setMessage(`Recorded: ${r.ageBecause}.`);
      onDone();
    } catch (err) {
      setMessage(err instanceof ApiError ? [err.message, ...err.issues.map((i) => i.message)].join(' — ') : 'Something went wrong.');
    }
  };
  return (
    <form className="age-determination" onSubmit={(e) => void submit(e)}>
      <h3>Record an age determination</h3>
      <label htmlFor="ad-dob">Date of birth found</label>
      <input id="ad-dob" type="date" value={dob} onChange={(e) => setDob(e.target.value)} required />
      <label htmlFor="ad-basis">Basis</label>
      <select id="ad-basis" value={basis} onChange={(e) => setBasis(e.target.value)}>
        <option value="documents">documents</option>
        <option value="age_assessment">age assessment</option>
        <option value="court_finding">court finding</option>
      </select>
      <label htmlFor="ad-evidence">What it rests on (at least 20 characters)</label>
      <textarea id="ad-evidence" rows={3} value={evidence} onChange={(e) => setEvidence(e.target.value)} minLength={20} required />
      <button type="submit" className="primary">
        Record the determination
      </button>
      {message && (
        <p role="status" className="notice">
          {message}
        </p>
      )}
    </form>
  );
}
