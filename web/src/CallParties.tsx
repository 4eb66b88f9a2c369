import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';

/**
 * Who is on the call in the agent's hands, and the interpreter: shown when one is on the line (a caller who chose
 * another language gets one from the start), with a button to drop it (I); or a language to call one in.
 */
export function CallParties({ taskId }: { taskId: string }) {
  const [parties, setParties] = useState<string[] | null>(null);
  const [language, setLanguage] = useState('');
  const [consultee, setConsultee] = useState('');
  const [message, setMessage] = useState('');
  const refresh = useCallback(async () => {
    try {
      setParties((await api<{ parties: string[] }>('GET', `/api/v1/routing/tasks/${encodeURIComponent(taskId)}/parties`)).parties);
    } catch {
      setParties(null);
    }
  }, [taskId]);
  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), 3_000);
    return () => window.clearInterval(timer);
  }, [refresh]);
  const act = useCallback(
    async (work: () => Promise<unknown>, done: string) => {
      try {
        await work();
        setMessage(done);
      } catch (e) {
        setMessage(e instanceof ApiError ? e.message : 'Something went wrong.');
      }
      await refresh();
    },
    [refresh],
  );
  const interpreter = parties?.includes('interpreter') === true;
  const consulting = parties?.includes('consult') === true;
  const base = `/api/v1/routing/tasks/${encodeURIComponent(taskId)}`;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (event.ctrlKey || event.metaKey || event.altKey || event.key.toLowerCase() !== 'i' || !interpreter) return;
      void act(() => api('DELETE', `/api/v1/routing/tasks/${encodeURIComponent(taskId)}/interpreter`), 'The interpreter was dropped.');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [interpreter, act, taskId]);
  if (!parties || parties.length === 0) return null;
  return (
    <div className="parties">
      <p>On the call: {parties.join(', ')}.</p>
      {interpreter ? (
        <button
          type="button"
          onClick={() =>
            void act(() => api('DELETE', `/api/v1/routing/tasks/${encodeURIComponent(taskId)}/interpreter`), 'The interpreter was dropped.')
          }
        >
          Drop the interpreter <kbd>I</kbd>
        </button>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void act(
              () => api('POST', `/api/v1/routing/tasks/${encodeURIComponent(taskId)}/interpreter`, { language }),
              'The interpreter service is called onto the line.',
            );
          }}
        >
          <label htmlFor={`interpreter-${taskId}`}>Interpreter language (code, e.g. mam, quc, pt-BR)</label>{' '}
          <input id={`interpreter-${taskId}`} value={language} onChange={(e) => setLanguage(e.target.value)} required />{' '}
          <button type="submit">Call an interpreter</button>
        </form>
      )}
      {consulting ? (
        <p>
          <button
            type="button"
            onClick={() => void act(() => api('POST', `${base}/consult/conference`, {}), 'All three of you are on the call.')}
          >
            Join all three
          </button>{' '}
          <button
            type="button"
            onClick={() => void act(() => api('POST', `${base}/consult/transfer`, {}), 'The caller was handed over; you are in wrap-up.')}
          >
            Hand over and leave
          </button>{' '}
          <button type="button" onClick={() => void act(() => api('DELETE', `${base}/consult`), 'The caller is back with you.')}>
            Back to the caller
          </button>
        </p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const target = /^\+[1-9]\d{6,14}$/.test(consultee.trim()) ? { number: consultee.trim() } : { username: consultee.trim() };
            void act(() => api('POST', `${base}/consult`, target), 'The caller is on hold while you consult.');
          }}
        >
          <label htmlFor={`consult-${taskId}`}>Consult (a colleague’s username, or a number like +16155550123)</label>{' '}
          <input id={`consult-${taskId}`} value={consultee} onChange={(e) => setConsultee(e.target.value)} required />{' '}
          <button type="submit">Hold the caller and consult</button>
        </form>
      )}
      <p role="status">{message}</p>
    </div>
  );
}
