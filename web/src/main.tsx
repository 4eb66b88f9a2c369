import { ROLES, type Role } from '@contracts/vocabulary.js';
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Admin } from './Admin.js';
import { Audit } from './Audit.js';
import { api, RESUMED_EVENT, SESSION_EVENT, type Session, setCsrfToken } from './api.js';
import { BestInterest } from './BestInterest.js';
import { CaseSearch } from './CaseSearch.js';
import { CaseWorkspace } from './CaseWorkspace.js';
import { Desktop } from './Desktop.js';
import { Handoffs } from './Handoffs.js';
import { PersonPage } from './PersonPage.js';
import { Portal } from './Portal.js';
import { ReferralInbox } from './Referrals.js';
import { Reports } from './Reports.js';
import { SignIn } from './SignIn.js';
import { Staffing } from './Staffing.js';
import { UacBoard } from './UacBoard.js';
import { Wallboard } from './Wallboard.js';
import './styles.css';

/** Which screens a role has. Agents get the desktop; supervisors also the wallboard. */
type Screen =
  | 'admin'
  | 'audit'
  | 'desktop'
  | 'wallboard'
  | 'tv'
  | 'cases'
  | 'referrals'
  | 'uac'
  | 'handoffs'
  | 'persons'
  | 'portal'
  | 'reports'
  | 'staffing';
const SCREENS: Record<Role, Screen[]> = {
  call_taker: ['desktop', 'cases'],
  uac_specialist: ['desktop', 'uac', 'handoffs', 'cases', 'referrals'],
  analyst: ['desktop', 'cases', 'referrals'],
  supervisor: ['wallboard', 'desktop', 'cases', 'uac', 'handoffs', 'referrals', 'reports', 'staffing', 'tv'],
  legal_reviewer: ['referrals', 'uac', 'cases'],
  field_officer: ['referrals'],
  partner_officer: ['portal'],
  admin: ['admin', 'wallboard', 'reports', 'staffing', 'tv'],
  auditor: ['audit', 'reports'],
};
const LABEL: Record<Screen, string> = {
  admin: 'Administration',
  audit: 'Audit',
  desktop: 'Agent desktop',
  wallboard: 'Wallboard',
  tv: 'TV',
  cases: 'Cases',
  referrals: 'Referrals',
  uac: 'UAC board',
  handoffs: 'Hand-offs',
  persons: 'Person',
  portal: 'Partner portal',
  reports: 'Reports',
  staffing: 'Staffing',
};

/** "#/cases/<id>" → ["cases", "<id>"]. */
function currentScreen(): string {
  return window.location.hash.replace(/^#\/?/, '') || '';
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [locked, setLocked] = useState<false | 'unlock' | 'sign-in'>(false);
  const [screen, setScreen] = useState(currentScreen());

  const adopt = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrfToken ?? null);
    setSession(s);
    setLocked(false);
    if (s) window.dispatchEvent(new Event(RESUMED_EVENT));
  }, []);

  useEffect(() => {
    api<Session>('GET', '/api/v1/auth/session').then(adopt, () => adopt(null));
    // Locked or ended while the page is open: ask over the page (it stays, with its unsaved work), then carry on.
    const onSession = (event: Event) => {
      const code = (event as CustomEvent<string>).detail;
      setLocked(code === 'session_locked' ? 'unlock' : 'sign-in');
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
    <div className="lock-overlay" role="dialog" aria-modal="true" aria-label={locked === 'unlock' ? 'Session locked' : 'Sign in again'}>
      {locked === 'unlock' ? (
        <SignIn onSignedIn={adopt} unlockFor={session.user.username} />
      ) : (
        <SignIn onSignedIn={adopt} again={session.user.username} />
      )}
    </div>
  );
  const role = ROLES.find((r) => r === session.user.role);
  const screens = role ? SCREENS[role] : [];
  const [screenName, recordId, recordView] = screen.split('/');
  // A person page opens from cases; it is reachable by those who have cases.
  const allowed: string[] = screens.includes('cases') ? [...screens, 'persons'] : screens;
  const active = (allowed.find((s) => s === screenName) ?? screens[0]) as Screen | undefined;
  if (active === 'tv') {
    return (
      <>
        <main id="main" className="tv-main" inert={locked !== false}>
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
      <header className="topbar" inert={locked !== false}>
        <span className="brand">Switchboard</span>
        <nav aria-label="Screens">
          {screens
            .filter((s) => s !== 'tv')
            .map((s) => (
              <a key={s} href={`#/${s}`} aria-current={s === active ? 'page' : undefined}>
                {LABEL[s]}
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
      <main id="main" inert={locked !== false}>
        {active === 'desktop' && <Desktop />}
        {active === 'wallboard' && <Wallboard />}
        {active === 'cases' &&
          (recordId ? (
            recordView === 'best-interest' ? (
              <BestInterest key={recordId} id={recordId} />
            ) : (
              <CaseWorkspace key={recordId} id={recordId} />
            )
          ) : (
            <CaseSearch />
          ))}
        {active === 'persons' && recordId && (
          <PersonPage key={recordId} id={recordId} canDetermineAge={session.user.role === 'legal_reviewer'} />
        )}
        {active === 'referrals' && <ReferralInbox review={session.user.role === 'legal_reviewer'} />}
        {active === 'uac' && <UacBoard />}
        {active === 'handoffs' && <Handoffs />}
        {active === 'audit' && <Audit />}
        {active === 'reports' && <Reports />}
        {active === 'staffing' && <Staffing />}
        {active === 'admin' && <Admin section={recordId} />}
        {active === 'portal' && <Portal section={recordId} />}
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
