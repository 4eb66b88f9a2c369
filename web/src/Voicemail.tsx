import { useEffect, useState } from 'react';
import { api } from './api.js';

type VoicemailInfo = { id: string; durationMs: number; line: string; language: string; createdAt: string };

/**
 * The voicemail a task in hand is about: its audio, played in the page (the server audits each play; for the
 * agent holding the task, working it is the purpose). P plays or pauses it.
 */
export function VoicemailPlayer({ taskId }: { taskId: string }) {
  const [info, setInfo] = useState<VoicemailInfo | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    api<VoicemailInfo>('GET', `/api/v1/routing/tasks/${encodeURIComponent(taskId)}/voicemail`).then(setInfo, () => setFailed(true));
  }, [taskId]);
  if (failed) return <p>The message of this voicemail could not be loaded.</p>;
  if (!info) return <p>Loading the message…</p>;
  const seconds = Math.round(info.durationMs / 1000);
  return (
    <figure className="voicemail">
      <figcaption>
        Voicemail, {seconds} seconds, left {new Date(info.createdAt).toLocaleString()} in {info.language === 'es' ? 'Spanish' : 'English'} (
        <kbd>P</kbd> plays or pauses)
      </figcaption>
      {/* biome-ignore lint/a11y/useMediaCaption: a caller's message has no captions; the agent writes what it says in the intake. */}
      <audio
        data-voicemail={info.id}
        controls
        preload="metadata"
        src={`/api/v1/voicemails/${info.id}/audio`}
        aria-label={`Voicemail, ${seconds} seconds`}
      />
    </figure>
  );
}
