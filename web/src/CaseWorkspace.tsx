import type { CaseView, Gate, GateReason, Referral, ReferralCreate } from '@contracts/views.js';
import { useState } from 'react';
import { ApiError, api } from './api.js';
import { CaseAudio } from './CaseAudio.js';
import { CasePlan } from './CasePlan.js';
import { ErrorText } from './ErrorText.js';
import { Consents, Family } from './FamilyAndConsent.js';
import { CaseHandoffs } from './Handoffs.js';
import { MapView } from './MapView.js';
import { PartnerRequests } from './PartnerRequests.js';
import { PurposeForm, usePurposefulLoad } from './PurposeOfUse.js';
import { address, Section } from './RecordParts.js';
import { serverNow } from './server-clock.js';

/**
 * The case workspace: persons, locations on a map, reports, referrals with the safeguard gate's answer, requests to
 * partner agencies and the timeline. A UAC case asks for a purpose of use first; it goes into the audit log with the read.
 */

/** The gate's answer as shown: from a submitted referral, or rebuilt from the issues of a referral_blocked refusal. */
type ShownGate = Pick<Gate, 'decision'> & { reasons: Pick<GateReason, 'rule' | 'effect' | 'message'>[] };

type ReferralPurpose = ReferralCreate['purpose'];
const REFERRAL_PURPOSES: ReferralPurpose[] = ['enforcement', 'location_information', 'welfare'];

export function CaseWorkspace({ id }: { id: string }) {
  const { data, needsPurpose, error, setPurpose, reload, purpose: readPurpose } = usePurposefulLoad<CaseView>(`/api/v1/cases/${id}`);
  const [message, setMessage] = useState<string | null>(null);
  const [gate, setGate] = useState<ShownGate | null>(null);
  const [purpose, setReferralPurpose] = useState<ReferralPurpose>('enforcement');
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
      const body: ReferralCreate = { purpose };
      const draft = await api<Referral>('POST', `/api/v1/cases/${id}/referrals`, body);
      try {
        const sent = await api<Referral>('POST', `/api/v1/referrals/${draft.id}/submit`, {});
        setGate(sent.gate);
      } catch (e) {
        if (e instanceof ApiError && e.code === 'referral_blocked')
          setGate({ decision: 'block', reasons: e.issues.map((i) => ({ rule: i.code, effect: 'block', message: i.message })) });
        throw e;
      }
    }, 'Referral submitted.');
  // A child's case: who the child is with, and what may be shared with whom (issue #22).
  const aboutChild = data.type.startsWith('uac_') || data.subjects.some((s) => s.isMinor !== false);
  const subjects = data.subjects.map((s) => ({ personId: s.personId, name: `${s.givenNames} ${s.familyName1}` }));
  return (
    <div className="workspace">
      <h1>
        Case {data.caseNumber} <span className="badge">{data.status}</span> <span className="badge">{data.priority}</span>
      </h1>
      <p>
        {data.type.replace(/_/g, ' ')} — {data.summary} — field office {data.aorOfficeCode ?? 'not yet known'}
      </p>
      {data.type.startsWith('uac_') && (
        <p>
          <a href={`#/cases/${id}/best-interest`}>Best-interest view</a>
        </p>
      )}
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
          <select
            id="ref-purpose"
            value={purpose}
            onChange={(e) => setReferralPurpose(REFERRAL_PURPOSES.find((p) => p === e.target.value) ?? 'enforcement')}
          >
            {REFERRAL_PURPOSES.map((p) => (
              <option key={p} value={p}>
                {p.replace(/_/g, ' ')}
              </option>
            ))}
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
        {aboutChild && (
          <Section title="Family and sponsors">
            <Family caseId={id} purpose={readPurpose} subjects={subjects} />
          </Section>
        )}
        {aboutChild && (
          <Section title="Consent to share">
            <Consents caseId={id} subjects={subjects} today={new Date(serverNow()).toLocaleDateString('en-CA')} />
          </Section>
        )}
        {data.type.startsWith('uac_') && (
          <Section title="Services and case plan">
            <CasePlan
              caseId={id}
              purpose={readPurpose}
              today={new Date(serverNow()).toLocaleDateString('en-CA')}
              caseClosed={data.status === 'closed'}
              onCaseChanged={reload}
            />
          </Section>
        )}
        {data.type.startsWith('uac_') && (
          <Section title="Welfare referrals and hand-offs">
            <CaseHandoffs caseId={id} />
          </Section>
        )}
        <Section title="Call audio">
          <CaseAudio recordings={data.recordings} voicemails={data.voicemails} purpose={readPurpose} />
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
