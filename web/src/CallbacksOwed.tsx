import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';

type Try = { outcome: string; counted: boolean; startedAt: string };
type Callback = {
  id: string;
  number: string | null;
  line: string;
  language: string;
  origin: string;
  attempts: number;
  maxAttempts: number;
  lastOutcome: string | null;
  updatedAt: string;
  tries: Try[];
};

const OUTCOMES: Record<string, string> = {
  no_answer: 'no answer',
  busy: 'busy',
  voicemail: 'reached voicemail',
  failed: 'the call failed',
  not_allowed: 'number outside the allowed list',
  agent_unreachable: 'agent not reached',
  answered: 'answered',
};

/**
 * The supervisor's list of promises the center could not keep on its own: callbacks whose tries ran out (or whose
 * number may not be dialed). Each can be granted one more try or closed with a reason. B moves here.
 */
export function CallbacksOwed() {
  const [callbacks, setCallbacks] = useState<Callback[] | null>(null);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [hidden, setHidden] = useState(false);
  const refresh = useCallback(async () => {
    try {
      setCallbacks((await api<{ callbacks: Callback[] }>('GET', '/api/v1/callbacks?status=exhausted')).callbacks);
    } catch (e) {
      // A role without the permission does not see the panel at all.
      if (e instanceof ApiError && e.status === 403) setHidden(true);
      else if (e instanceof ApiError) setError(e.message);
    }
  }, []);
  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), 30_000);
    return () => window.clearInterval(timer);
  }, [refresh]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (event.ctrlKey || event.metaKey || event.altKey || event.key.toLowerCase() !== 'b') return;
      const first =
        document.querySelector<HTMLElement>('#callbacks-owed button') ?? document.querySelector<HTMLElement>('#callbacks-owed-heading');
      if (first) {
        event.preventDefault();
        first.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong.');
    }
    await refresh();
  };
  if (hidden) return null;
  return (
    <section id="callbacks-owed" aria-labelledby="callbacks-owed-heading">
      <h2 id="callbacks-owed-heading" tabIndex={-1}>
        Callbacks owed <kbd>B</kbd>
      </h2>
      {error && <ErrorText>{error}</ErrorText>}
      {callbacks === null ? (
        <p>Loading…</p>
      ) : callbacks.length === 0 ? (
        <p>None: every callback promised was made or is still being tried.</p>
      ) : (
        <ul className="callbacks-owed">
          {callbacks.map((c) => (
            <li key={c.id}>
              <p>
                {c.number ?? 'No number'} on {c.line} ({c.language === 'es' ? 'Spanish' : 'English'}): {c.attempts} of {c.maxAttempts}{' '}
                tries, last {OUTCOMES[c.lastOutcome ?? ''] ?? c.lastOutcome ?? '—'} ({new Date(c.updatedAt).toLocaleString()})
              </p>
              <button type="button" onClick={() => void act(() => api('POST', `/api/v1/callbacks/${c.id}/retry`, {}))}>
                Try once more
              </button>{' '}
              <label htmlFor={`close-${c.id}`}>Reason to close</label>{' '}
              <input
                id={`close-${c.id}`}
                value={reasons[c.id] ?? ''}
                onChange={(e) => setReasons((r) => ({ ...r, [c.id]: e.target.value }))}
                minLength={10}
              />{' '}
              <button
                type="button"
                disabled={(reasons[c.id] ?? '').trim().length < 10}
                onClick={() => void act(() => api('POST', `/api/v1/callbacks/${c.id}/close`, { reason: reasons[c.id] }))}
              >
                Close
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
