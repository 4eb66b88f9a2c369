import type { CaseView } from '@contracts/views.js';
import { useEffect, useState } from 'react';
import { type Purpose, PurposeForm, withPurpose } from './PurposeOfUse.js';

type Playable = { key: string; label: string; url: string };

/**
 * The case's call recordings and voicemails, played in the page. Every play is its own audited read with a purpose:
 * the one stated to open the case if there was one, otherwise one asked for here. The audio is fetched first, so a
 * refusal (a role that may not play recordings, a purpose too short) is said in words, not as a silent player.
 */
export function CaseAudio({ recordings, voicemails, purpose }: Pick<CaseView, 'recordings' | 'voicemails'> & { purpose: Purpose | null }) {
  const [chosen, setChosen] = useState<Playable | null>(null);
  const [stated, setStated] = useState<Purpose | null>(purpose);
  const [source, setSource] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!chosen || !stated) return;
    let url: string | null = null;
    let gone = false;
    setSource(null);
    setError(null);
    void (async () => {
      const response = await fetch(withPurpose(chosen.url, stated), { credentials: 'same-origin' }).catch(() => null);
      if (gone) return;
      if (!response?.ok) {
        const body = (await response?.json().catch(() => null)) as { error?: { message?: string } } | null;
        setError(body?.error?.message ?? 'The audio could not be loaded.');
        if (response?.status === 400) setStated(purpose);
        return;
      }
      url = URL.createObjectURL(await response.blob());
      if (!gone) setSource(url);
    })();
    return () => {
      gone = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [chosen, stated, purpose]);
  const items: Playable[] = [
    ...recordings.map((r) => ({
      key: `rec-${r.callId}`,
      label: `Recording of the ${r.direction === 'outbound' ? 'callback' : 'call'} on ${r.line}, ${Math.round(r.durationMs / 1000)} s, ${new Date(r.recordedAt).toLocaleString()}`,
      url: `/api/v1/calls/${r.callId}/recording`,
    })),
    ...voicemails.map((v) => ({
      key: `vm-${v.id}`,
      label: `Voicemail on ${v.line} (${v.language === 'es' ? 'Spanish' : 'English'}), ${Math.round(v.durationMs / 1000)} s, ${new Date(v.leftAt).toLocaleString()}`,
      url: `/api/v1/voicemails/${v.id}/audio`,
    })),
  ];
  if (items.length === 0) return <p>No recordings or voicemails for this case.</p>;
  return (
    <div className="case-audio">
      <ul>
        {items.map((item) => (
          <li key={item.key}>
            {item.label}{' '}
            <button
              type="button"
              aria-label={`Play: ${item.label}`}
              aria-pressed={chosen?.key === item.key}
              onClick={() => setChosen(item)}
            >
              Play
            </button>
          </li>
        ))}
      </ul>
      {chosen && !stated && (
        <PurposeForm
          heading="Why are you listening?"
          explain="Every play of a recording or voicemail is kept in the audit log with your name, the time and this reason."
          submit="Play"
          idPrefix="audio-purpose"
          onPurpose={setStated}
        />
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {chosen && source && (
        <figure>
          <figcaption>{chosen.label}</figcaption>
          {/* biome-ignore lint/a11y/useMediaCaption: a call's audio has no captions; what was said is in the case's reports. */}
          <audio data-case-audio={chosen.key} controls autoPlay src={source} aria-label={chosen.label} />
        </figure>
      )}
    </div>
  );
}
