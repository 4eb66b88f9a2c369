import { useEffect, useState } from 'react';
import { ApiError, api } from './api.js';

type InHand = {
  callback: {
    number: string | null;
    origin: 'ivr' | 'overflow' | 'scheduled';
    attempts: number;
    maxAttempts: number;
    lastOutcome: string | null;
  };
  cases: { id: string; caseNumber: string; summary: string; status: string; type: string }[];
};

const ORIGIN: Record<InHand['callback']['origin'], string> = {
  ivr: 'asked for a callback in the queue',
  overflow: 'was offered a callback when the queue was full',
  scheduled: 'was promised a call at this time by an agent',
};

/**
 * A callback try in the agent's hands: who is being called back (the number masked: the center dials), which try this
 * is, and the cases the callback is about — opened in a click, so the agent has them on screen as the caller answers.
 */
export function CallbackInHand({ taskId }: { taskId: string }) {
  const [data, setData] = useState<InHand | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<InHand>('GET', `/api/v1/routing/tasks/${encodeURIComponent(taskId)}/callback`).then(setData, (e: unknown) =>
      setError(e instanceof ApiError ? e.message : 'The callback could not be loaded.'),
    );
  }, [taskId]);
  if (error) return <p>{error}</p>;
  if (!data) return <p>Loading the callback…</p>;
  const { callback, cases } = data;
  return (
    <section className="callback-in-hand" aria-label="The callback">
      <p>
        Calling back {callback.number ?? 'the caller'}, who {ORIGIN[callback.origin]} — try {callback.attempts + 1} of{' '}
        {callback.maxAttempts}
        {callback.lastOutcome ? ` (last try: ${callback.lastOutcome.replace(/_/g, ' ')})` : ''}.
      </p>
      {cases.length === 0 ? (
        <p>No case yet: take the intake as the caller speaks.</p>
      ) : (
        <ul aria-label="Cases this callback is about">
          {cases.map((c) => (
            <li key={c.id}>
              <a href={`#/cases/${c.id}`} target="_blank" rel="noopener">
                Case {c.caseNumber}
              </a>{' '}
              — {c.summary} ({c.type.replace(/_/g, ' ')}, {c.status})
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
