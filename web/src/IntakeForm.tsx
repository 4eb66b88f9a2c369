import type { IntakeForm as Form } from '@contracts/intake-forms.js';
import type { IntakeDraft, IntakeResult } from '@contracts/views.js';
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, type FieldIssue } from './api.js';
import { IssueList } from './ErrorText.js';
import { serverNow } from './server-clock.js';

/**
 * The scripted intake form of a contact's queue, drawn from configuration. The
 * draft goes to the server a moment after each change, so closing the browser
 * mid-call loses nothing; saving sends the intake (report, subject, location,
 * case) in one request and reports every invalid field at once.
 */

type Values = Record<string, string | boolean>;

/** A restored draft's values: only what this form writes (text and ticks). */
const valuesOf = (data: IntakeDraft['data']): Values =>
  Object.fromEntries(
    Object.entries(data).filter(
      (entry): entry is [string, string | boolean] => typeof entry[1] === 'string' || typeof entry[1] === 'boolean',
    ),
  );

export type Saved = { reportId: string; reference: string; caseId: string; caseNumber: string; callbackCode?: string };

function intakeBody(form: Form, v: Values, caseType: string, taskId: string) {
  const s = (id: string) => {
    const x = v[id];
    return typeof x === 'string' && x.trim() ? x.trim() : undefined;
  };
  const anonymous = v['reporter.anonymous'] === true;
  const location = { line1: s('location.line1'), city: s('location.city'), state: s('location.state'), zip: s('location.zip') };
  const hasLocation = Object.values(location).some(Boolean);
  const dob = s('subject.dob');
  return {
    source: anonymous ? 'anonymous' : form.source,
    reporter: anonymous
      ? {}
      : { name: s('reporter.name'), phone: s('reporter.phone'), agencyOri: s('reporter.agencyOri'), badge: s('reporter.badge') },
    narrative: s('narrative') ?? '',
    grading: {
      sourceReliability: s('grading.sourceReliability') ?? 'F',
      informationCredibility: Number(s('grading.informationCredibility') ?? 6),
    },
    callId: taskId,
    subjects: [
      {
        role: form.subjectRole,
        person: {
          givenNames: s('subject.givenNames') ?? '',
          familyName1: s('subject.familyName1') ?? '',
          familyName2: s('subject.familyName2'),
          dob,
          dobBasis: dob ? (s('subject.dobBasis') ?? 'claimed') : 'unknown',
          languages: (s('subject.languages') ?? '')
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
          identifiers: { aNumber: s('subject.aNumber') },
        },
      },
    ],
    locations: hasLocation ? [{ subject: 0, address: location }] : [],
    case: { open: { type: caseType, priority: 'normal', summary: s('case.summary') ?? '' } },
  };
}

/** Intake paths ("body.subjects.0.person.dob") back to form fields ("subject.dob"). */
function fieldOf(path: string): string {
  return path
    .replace(/^body\./, '')
    .replace(/^subjects\.0\.person\.identifiers\./, 'subject.')
    .replace(/^subjects\.0\.person\./, 'subject.')
    .replace(/^locations\.0\.address\./, 'location.')
    .replace(/^case\.open\./, 'case.');
}

export function IntakeForm({ form, taskId, onSaved }: { form: Form; taskId: string; onSaved: (s: Saved) => void }) {
  const [values, setValues] = useState<Values>(() =>
    Object.fromEntries(form.fields.filter((f) => f.type === 'select' && f.options?.[0]).map((f) => [f.id, f.options?.[0] ?? ''])),
  );
  const [caseType, setCaseType] = useState<string>(form.caseTypes[0] ?? 'general_tip');
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [status, setStatus] = useState<string>('');
  const version = useRef<number | null>(null);
  const dirty = useRef(false);
  const key = `task-${taskId}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 100);

  useEffect(() => {
    api<IntakeDraft>('GET', `/api/v1/intake/drafts/${key}`).then(
      (d) => {
        version.current = d.version;
        setValues((v) => ({ ...v, ...valuesOf(d.data) }));
        setStatus('Draft restored');
      },
      () => undefined,
    );
  }, [key]);

  const save = useCallback(async () => {
    if (!dirty.current) return;
    dirty.current = false;
    try {
      const d = await api<IntakeDraft>('PUT', `/api/v1/intake/drafts/${key}`, {
        form: form.id,
        data: values,
        version: version.current,
      });
      version.current = d.version;
      setStatus(`Draft saved ${new Date(serverNow()).toLocaleTimeString()}`);
    } catch (e) {
      dirty.current = true;
      setStatus(e instanceof ApiError ? `Draft not saved: ${e.message}` : 'Draft not saved');
    }
  }, [key, form.id, values]);

  useEffect(() => {
    const timer = window.setTimeout(() => void save(), 1500);
    return () => window.clearTimeout(timer);
  }, [save]);

  const set = (id: string, value: string | boolean) => {
    dirty.current = true;
    setValues((v) => ({ ...v, [id]: value }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setIssues([]);
    try {
      const result = await api<IntakeResult>('POST', '/api/v1/intake', intakeBody(form, values, caseType, taskId));
      await api('DELETE', `/api/v1/intake/drafts/${key}`).catch(() => undefined);
      dirty.current = false;
      onSaved({
        reportId: result.report.id,
        reference: result.report.reference,
        caseId: result.case.id,
        caseNumber: result.case.caseNumber,
        ...(result.report.callbackCode ? { callbackCode: result.report.callbackCode } : {}),
      });
    } catch (e) {
      if (e instanceof ApiError) setIssues(e.issues.length ? e.issues : [{ path: '', code: e.code, message: e.message }]);
    }
  };

  const issueFor = (id: string) => issues.filter((i) => fieldOf(i.path) === id || (id === 'reporter.name' && i.path === 'body.reporter'));
  return (
    <form className="intake" onSubmit={(e) => void submit(e)} aria-labelledby={`form-${key}`}>
      <h3 id={`form-${key}`}>{form.title}</h3>
      <p className="script">{form.script}</p>
      <IssueList title="The intake was not saved:" issues={issues} what="form" label={fieldOf} />
      <label htmlFor={`${key}-type`}>Case type</label>
      <select id={`${key}-type`} value={caseType} onChange={(e) => setCaseType(e.target.value)}>
        {form.caseTypes.map((c) => (
          <option key={c} value={c}>
            {c.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
      {form.fields.map((f) => {
        const id = `${key}-${f.id}`;
        const value = values[f.id];
        const errors = issueFor(f.id);
        const described = errors.length ? `${id}-error` : undefined;
        return (
          <div key={f.id} className={`field ${f.type}`}>
            <label htmlFor={id}>
              {f.label}
              {f.required ? ' (required)' : ''}
            </label>
            {f.type === 'textarea' ? (
              <textarea
                id={id}
                rows={4}
                value={String(value ?? '')}
                onChange={(e) => set(f.id, e.target.value)}
                aria-invalid={errors.length > 0}
                aria-describedby={described}
              />
            ) : f.type === 'select' ? (
              <select
                id={id}
                value={String(value ?? f.options?.[0] ?? '')}
                onChange={(e) => set(f.id, e.target.value)}
                aria-invalid={errors.length > 0}
                aria-describedby={described}
              >
                {(f.options ?? []).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : f.type === 'checkbox' ? (
              <input id={id} type="checkbox" checked={value === true} onChange={(e) => set(f.id, e.target.checked)} />
            ) : (
              <input
                id={id}
                type={f.type}
                value={String(value ?? '')}
                onChange={(e) => set(f.id, e.target.value)}
                aria-invalid={errors.length > 0}
                aria-describedby={described}
              />
            )}
            {errors.length > 0 && (
              <span id={`${id}-error`} className="field-error">
                {errors.map((e) => e.message).join('; ')}
              </span>
            )}
          </div>
        );
      })}
      <p className="draft-status" role="status">
        {status}
      </p>
      <button type="submit" className="primary">
        Save intake
      </button>
    </form>
  );
}
