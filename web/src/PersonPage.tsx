import type { AgeDeterminationBody, AgeDeterminationResult, PersonHit, PersonHits, PersonView } from '@contracts/views.js';
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';
import { MapView } from './MapView.js';
import { PurposeForm, usePurposefulLoad, withPurpose } from './PurposeOfUse.js';
import { address, Section } from './RecordParts.js';

/**
 * The person page: dates of birth side by side, identifiers, other names, location history with sources, linked
 * cases, duplicate candidates with their evidence. A child's record asks for a purpose of use first; it goes into the
 * audit log with the read, and the duplicates are asked for with the same purpose.
 */

export function PersonPage({ id, canDetermineAge = false }: { id: string; canDetermineAge?: boolean }) {
  const { data, needsPurpose, error, setPurpose, purpose, reload } = usePurposefulLoad<PersonView>(`/api/v1/persons/${id}`);
  const [dupes, setDupes] = useState<PersonHit[] | null>(null);
  useEffect(() => {
    // The duplicates of a child's record are asked for with the same purpose the record was opened with.
    if (!data) return;
    api<PersonHits>('GET', withPurpose(`/api/v1/persons/${id}/duplicates`, purpose)).then(
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

type AgeBasis = AgeDeterminationBody['basis'];
const AGE_BASES: AgeBasis[] = ['documents', 'age_assessment', 'court_finding'];

/** A legal reviewer records a date of birth found from documents, an assessment or a court: it decides from then on. */
function AgeDeterminationForm({ personId, onDone }: { personId: string; onDone: () => void }) {
  const [dob, setDob] = useState('');
  const [basis, setBasis] = useState<AgeBasis>('documents');
  const [evidence, setEvidence] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    try {
      const body: AgeDeterminationBody = { dob, basis, evidence };
      const r = await api<AgeDeterminationResult>('POST', `/api/v1/persons/${personId}/age-determinations`, body);
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
      <select id="ad-basis" value={basis} onChange={(e) => setBasis(AGE_BASES.find((b) => b === e.target.value) ?? 'documents')}>
        {AGE_BASES.map((b) => (
          <option key={b} value={b}>
            {b.replace(/_/g, ' ')}
          </option>
        ))}
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
