import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';

type LiveCall = {
  recordId: string;
  unit: string;
  line: string;
  connectedAt: string | null;
  language: string;
  parties: string[];
  mode: 'monitor' | 'whisper' | 'barge' | null;
};

const MODES = [
  { mode: 'monitor', label: 'Listen', key: 'M', help: 'you hear the caller and the agent; no one hears you' },
  { mode: 'whisper', label: 'Whisper', key: 'W', help: 'the agent hears you; the caller does not' },
  { mode: 'barge', label: 'Join', key: 'J', help: 'everyone hears you' },
] as const;

/**
 * The connected calls, for a supervisor to help on from their own phone: listen (M), whisper to the agent (W),
 * join (J), leave (L) — the keys act on the call whose row has focus, else the first. Every act is audited.
 */
export function LiveCalls({ now }: { now: number }) {
  const [calls, setCalls] = useState<LiveCall[] | null>(null);
  const [hidden, setHidden] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const refresh = useCallback(async () => {
    try {
      setCalls((await api<{ calls: LiveCall[] }>('GET', '/api/v1/calls/live')).calls);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) setHidden(true);
      else if (e instanceof ApiError) setError(e.message);
    }
  }, []);
  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), 5_000);
    return () => window.clearInterval(timer);
  }, [refresh]);
  const act = useCallback(
    async (call: LiveCall, mode: LiveCall['mode']) => {
      setError(null);
      try {
        if (mode) await api('POST', `/api/v1/calls/${call.recordId}/supervise`, { mode });
        else await api('DELETE', `/api/v1/calls/${call.recordId}/supervise`);
        setStatus(mode ? `Your phone is on the call (${MODES.find((m) => m.mode === mode)?.label.toLowerCase()}).` : 'You left the call.');
      } catch (e) {
        setError(e instanceof ApiError ? e.message : 'Something went wrong.');
      }
      await refresh();
    },
    [refresh],
  );
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (event.ctrlKey || event.metaKey || event.altKey || !calls?.length) return;
      const key = event.key.toUpperCase();
      const row = target?.closest<HTMLElement>('[data-live-call]')?.dataset.liveCall;
      const call = calls.find((c) => c.recordId === row) ?? calls[0];
      if (!call) return;
      const mode = MODES.find((m) => m.key === key);
      if (mode) void act(call, mode.mode);
      else if (key === 'L' && call.mode) void act(call, null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [calls, act]);
  if (hidden) return null;
  return (
    <section aria-labelledby="live-calls-heading">
      <h2 id="live-calls-heading">Live calls</h2>
      {error && <ErrorText>{error}</ErrorText>}
      <p role="status">{status}</p>
      {calls === null ? (
        <p>Loading…</p>
      ) : calls.length === 0 ? (
        <p>No call is connected to an agent now.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Language</th>
              <th scope="col">Connected</th>
              <th scope="col">On the call</th>
              <th scope="col">Help</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <tr key={c.recordId} data-live-call={c.recordId}>
                <th scope="row">
                  {c.line}
                  {c.unit === 'uac' ? ' (UAC)' : ''}
                </th>
                <td>{c.language === 'es' ? 'Spanish' : c.language === 'en' ? 'English' : c.language}</td>
                <td>{c.connectedAt ? `${Math.max(0, Math.round((now - Date.parse(c.connectedAt)) / 1000))} s` : '—'}</td>
                <td>
                  {c.parties.join(', ')}
                  {c.mode ? ` (you: ${MODES.find((m) => m.mode === c.mode)?.label.toLowerCase()})` : ''}
                </td>
                <td>
                  {MODES.map((m) => (
                    <button key={m.mode} type="button" title={m.help} aria-pressed={c.mode === m.mode} onClick={() => void act(c, m.mode)}>
                      {m.label} <kbd>{m.key}</kbd>
                    </button>
                  ))}{' '}
                  {c.mode && (
                    <button type="button" onClick={() => void act(c, null)}>
                      Leave <kbd>L</kbd>
                    </button>
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
