import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api, type Challenge, type Session, type SsoInfo } from './api.js';
import { ErrorText } from './ErrorText.js';

/**
 * Sign-in with password and a code from an authenticator app; first sign-in
 * (an invitation link, /enroll#token=…) sets the password and enrolls the
 * authenticator from a QR code — the same link, after a password reset, sets
 * a new password and asks for the code. A session locked after 30 idle
 * minutes is unlocked here with password and code, and the same session — and
 * any unsaved work on the page behind it — continues. When signing in with the
 * password alone is paused for the name (too many failures), the form asks for
 * password and code together, which the server still takes. When single
 * sign-on is configured, the agency's identity provider comes first and the
 * password form is kept for break-glass accounts.
 */

const enrollmentToken = (): string | undefined =>
  window.location.pathname.startsWith('/enroll')
    ? (new URLSearchParams(window.location.hash.slice(1)).get('token') ?? undefined)
    : undefined;

export function SignIn({
  onSignedIn,
  unlockFor,
  again,
}: {
  onSignedIn: (s: Session) => void;
  unlockFor?: string | undefined;
  /** The session ended while the page was open: sign in again over it, and what was being saved goes through. */
  again?: string | undefined;
}) {
  const invited = again ? undefined : enrollmentToken();
  const [username, setUsername] = useState(unlockFor ?? again ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [bothFactors, setBothFactors] = useState(false);
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [pending, setPending] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sso, setSso] = useState<SsoInfo | null>(null);

  useEffect(() => {
    if (invited) return;
    api<SsoInfo>('GET', '/api/v1/auth/oidc').then(setSso, () => setSso(null));
  }, [invited]);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof ApiError ? [e.message, ...e.issues.map((i) => i.message)].join(' ') : 'Something went wrong.');
      // Paused for this name: the server still takes the password and the code together.
      if (e instanceof ApiError && e.code === 'account_locked' && !unlockFor && !invited) {
        setBothFactors(true);
        setChallenge(null);
      }
    } finally {
      setBusy(false);
    }
  };

  const finish = (session: Session) => {
    if (session.recoveryCodes?.length) {
      setPending(session);
      setRecoveryCodes(session.recoveryCodes);
      return;
    }
    if (invited) window.history.replaceState(null, '', '/');
    onSignedIn(session);
  };

  const secondFactor = () => (useRecovery ? { recoveryCode: code } : { code });

  const submitPassword = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      if (unlockFor) {
        finish(await api<Session>('POST', '/api/v1/auth/unlock', { password, code }));
        return;
      }
      if (bothFactors) {
        finish(await api<Session>('POST', '/api/v1/auth/sign-in/both-factors', { username, password, ...secondFactor() }));
        return;
      }
      const next = invited
        ? await api<Challenge>('POST', '/api/v1/auth/enrollment/password', { enrollmentToken: invited, password })
        : await api<Challenge>('POST', '/api/v1/auth/sign-in', { username, password });
      setChallenge(next);
      setPassword('');
    });
  };

  const submitCode = (event: FormEvent) => {
    event.preventDefault();
    if (!challenge) return;
    void run(async () => {
      const url =
        challenge.next === 'enroll'
          ? invited
            ? '/api/v1/auth/enrollment/confirm'
            : '/api/v1/auth/second-factor'
          : '/api/v1/auth/second-factor';
      finish(
        await api<Session>(
          'POST',
          url,
          challenge.next === 'enroll'
            ? { challengeToken: challenge.challengeToken, code }
            : { challengeToken: challenge.challengeToken, ...secondFactor() },
        ),
      );
    });
  };

  if (recoveryCodes && pending) {
    return (
      <main id="main" className="signin">
        <h1>Keep your recovery codes</h1>
        <p>Each works once if you lose your authenticator. They are shown only now: print them or store them safely.</p>
        <ol className="codes">
          {recoveryCodes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => onSignedIn(pending)}>
          I have kept them — continue
        </button>
      </main>
    );
  }

  const Container = unlockFor || again ? 'section' : 'main';
  return (
    <Container id={unlockFor || again ? 'unlock' : 'main'} className="signin">
      <h1>{unlockFor ? 'Session locked' : again ? 'Your session ended' : invited ? 'Set up your account' : 'Sign in to Switchboard'}</h1>
      {again && <p>Sign in again to continue; what you were saving will be saved, and nothing on the page was lost.</p>}
      {unlockFor && <p>You were away for 30 minutes. Sign in again to continue where you left off; nothing on the page was lost.</p>}
      {error && <ErrorText>{error}</ErrorText>}
      {sso?.enabled && sso.startUrl && !challenge && (
        <section aria-label="Single sign-on" className="sso">
          {/* A full-page navigation: the identity provider's page, then back here signed in. */}
          <a className="button" href={sso.startUrl}>
            Sign in with {sso.providerName}
          </a>
          {(unlockFor || again) && <p>Signing in with {sso.providerName} reloads the page: save your work first if you can.</p>}
          <h2>Break-glass account</h2>
          <p>Password and code sign-in is kept for break-glass accounts while {sso.providerName} is in use.</p>
        </section>
      )}
      {!challenge ? (
        <form onSubmit={submitPassword}>
          {!invited && (
            <label>
              Username
              <input
                autoComplete="username"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                required
                readOnly={Boolean(unlockFor)}
              />
            </label>
          )}
          <label>
            {invited ? 'Choose a password (at least 12 characters)' : 'Password'}
            <input
              type="password"
              autoComplete={invited ? 'new-password' : 'current-password'}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </label>
          {unlockFor && (
            <label>
              Code from your authenticator app
              <input
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6}"
                value={code}
                onChange={(e) => setCode(e.target.value)}
                required
              />
            </label>
          )}
          {bothFactors && !unlockFor && (
            <SecondFactorField code={code} setCode={setCode} useRecovery={useRecovery} setUseRecovery={setUseRecovery} />
          )}
          <button type="submit" disabled={busy}>
            {unlockFor ? 'Unlock' : bothFactors ? 'Sign in' : 'Continue'}
          </button>
        </form>
      ) : (
        <form onSubmit={submitCode}>
          {challenge.enrollment && (
            <section aria-labelledby="enroll-heading">
              <h2 id="enroll-heading">Add Switchboard to your authenticator app</h2>
              <img
                className="qr"
                width={200}
                height={200}
                alt="QR code to scan with your authenticator app"
                src={`data:image/svg+xml;utf8,${encodeURIComponent(challenge.enrollment.qrSvg)}`}
              />
              <p>
                Or type this key: <code>{challenge.enrollment.secret}</code>
              </p>
            </section>
          )}
          {challenge.next === 'enroll' ? (
            <label>
              Code from your authenticator app
              <input
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6}"
                value={code}
                onChange={(e) => setCode(e.target.value)}
                required
              />
            </label>
          ) : (
            <SecondFactorField code={code} setCode={setCode} useRecovery={useRecovery} setUseRecovery={setUseRecovery} />
          )}
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      )}
    </Container>
  );
}

/** The code from the authenticator app, or — when it is lost — one of the one-time recovery codes. */
function SecondFactorField({
  code,
  setCode,
  useRecovery,
  setUseRecovery,
}: {
  code: string;
  setCode: (value: string) => void;
  useRecovery: boolean;
  setUseRecovery: (value: boolean) => void;
}) {
  return (
    <>
      {useRecovery ? (
        <label>
          Recovery code
          <input autoComplete="off" value={code} onChange={(e) => setCode(e.target.value)} required minLength={8} maxLength={32} />
        </label>
      ) : (
        <label>
          Code from your authenticator app
          <input
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            required
          />
        </label>
      )}
      <label className="inline">
        <input
          type="checkbox"
          checked={useRecovery}
          onChange={(e) => {
            setUseRecovery(e.target.checked);
            setCode('');
          }}
        />
        I lost my authenticator: use a recovery code
      </label>
    </>
  );
}
