import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, SESSION_EVENT, type Session, setCsrfToken } from './api.js';
import { Desktop } from './Desktop.js';
import { SignIn } from './SignIn.js';
import { Wallboard } from './Wallboard.js';
import './styles.css';

/** Which screens a role has. Agents get the desktop; supervisors also the wallboard. */
const SCREENS: Record<string, ('desktop' | 'wallboard' | 'tv')[]> = {
  call_taker: ['desktop'],
  uac_specialist: ['desktop'],
  analyst: ['desktop'],
  supervisor: ['wallboard', 'desktop', 'tv'],
  admin: ['wallboard', 'tv'],
};

function currentScreen(): string {
  return window.location.hash.replace(/^#\/?/, '') || '';
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [locked, setLocked] = useState(false);
  const [screen, setScreen] = useState(currentScreen());

  const adopt = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrfToken ?? null);
    setSession(s);
    setLocked(false);
  }, []);

  useEffect(() => {
    api<Session>('GET', '/api/v1/auth/session').then(adopt, () => adopt(null));
    const onSession = (event: Event) => {
      const code = (event as CustomEvent<string>).detail;
      if (code === 'session_locked') setLocked(true);
      else adopt(null);
    };
    const onHash = () => setScreen(currentScreen());
    window.addEventListener(SESSION_EVENT, onSession);
    window.addEventListener('hashchange', onHash);
    return () => {
      window.removeEventListener(SESSION_EVENT, onSession);
      window.removeEventListener('hashchange', onHash);
    };
  }, [adopt]);

  if (session === undefined) return <p className="loading">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={adopt} />;
  // A locked session keeps the page — and any unsaved work on it — under the unlock dialog.
  const lockDialog = locked && (
    <div className="lock-overlay" role="dialog" aria-modal="true" aria-label="Session locked">
      <SignIn onSignedIn={adopt} unlockFor={session.user.username} />
    </div>
  );
  const screens = SCREENS[session.user.role] ?? [];
  const active = screens.find((s) => s === screen) ?? screens[0];
  if (active === 'tv') {
    return (
      <>
        <main id="main" className="tv-main" inert={locked}>
          <p>
            <a href="#/wallboard">Leave the TV view</a>
          </p>
          <Wallboard tv />
        </main>
        {lockDialog}
      </>
    );
  }
  const signOut = async () => {
    await api('POST', '/api/v1/auth/sign-out', { everywhere: false }).catch(() => undefined);
    adopt(null);
  };
  return (
    <>
      {lockDialog}
      <header className="topbar" inert={locked}>
        <span className="brand">Switchboard</span>
        <nav aria-label="Screens">
          {screens
            .filter((s) => s !== 'tv')
            .map((s) => (
              <a key={s} href={`#/${s}`} aria-current={s === active ? 'page' : undefined}>
                {s === 'desktop' ? 'Agent desktop' : 'Wallboard'}
              </a>
            ))}
        </nav>
        <span className="who">
          {session.user.displayName} ({session.user.role.replace('_', ' ')})
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" inert={locked}>
        {active === 'desktop' && <Desktop />}
        {active === 'wallboard' && <Wallboard />}
        {!active && <p>Your role has no screen in this app yet. Use the API documentation at /api/docs.</p>}
      </main>
    </>
  );
}

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
