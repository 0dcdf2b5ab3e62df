import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { t } from '../i18n/index.js';
import { OIDC_OUTCOMES, authConfig, callWithToken, oidcSession, signIn, tokenSession } from '../api.js';
import { navigate, useRoute } from '../router.js';
import { currentClaims } from '../session.js';
import { homePage } from '../page_access.js';
import { errorText } from '../components/ui.js';

// After sign-in: the first page the token's role can use (page_access.js).
function goHome() {
  navigate([homePage((currentClaims() || {}).role)]);
}

// A first sign-in's missing steps, with the enrolment token the sign-in answered: a new password
// (accounts ChangePassword), then a second factor (BeginTotpEnrolment shows the secret to add
// to an authenticator app, ConfirmTotpEnrolment checks a code). Then the user signs in again.
function Enrolment({ step, onDone }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [secret, setSecret] = useState(null);
  const [code, setCode] = useState('');
  const [needPassword, setNeedPassword] = useState(step.passwordChangeRequired);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function run(fn) {
    setBusy(true);
    setError('');
    try {
      await fn();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  const changePassword = (e) => {
    e.preventDefault();
    if (next !== again) {
      setError(t('signin.enrol.mismatch'));
      return;
    }
    run(async () => {
      await callWithToken(step.enrolmentToken, 'accounts', 'ChangePassword',
        { currentPassword: current, newPassword: next });
      setNeedPassword(false);
      if (!step.totpEnrolmentRequired) onDone(t('signin.enrol.passwordChanged'));
    });
  };
  const begin = () => run(async () => {
    setSecret(await callWithToken(step.enrolmentToken, 'accounts', 'BeginTotpEnrolment', {}));
  });
  const confirm = (e) => {
    e.preventDefault();
    run(async () => {
      await callWithToken(step.enrolmentToken, 'accounts', 'ConfirmTotpEnrolment', { totpCode: code.trim() });
      onDone(t('signin.enrol.done'));
    });
  };

  return html`<section class="card form" data-testid="signin-enrolment">
    <h2>${t('signin.enrol.title')}</h2>
    ${needPassword ? html`<form class="form" onSubmit=${changePassword}>
      <p class="small">${t('signin.passwordChangeRequired')}</p>
      <label>${t('signin.enrol.current')}<input type="password" autocomplete="current-password" required
        value=${current} onInput=${(e) => setCurrent(e.target.value)} /></label>
      <label>${t('signin.enrol.new')}<input type="password" autocomplete="new-password" required minlength="12"
        value=${next} onInput=${(e) => setNext(e.target.value)} /></label>
      <label>${t('signin.enrol.again')}<input type="password" autocomplete="new-password" required minlength="12"
        value=${again} onInput=${(e) => setAgain(e.target.value)} /></label>
      <button type="submit" class="primary" disabled=${busy}>${t('signin.enrol.changePassword')}</button>
    </form>` : html`<div class="form">
      <p class="small">${t('signin.totpEnrolmentRequired')}</p>
      ${secret ? html`<p class="small">${t('signin.enrol.secret')}</p>
        <p class="mono" data-testid="signin-totp-secret">${secret.secretBase32}</p>
        <p class="small muted mono">${secret.otpauthUri}</p>
        <form class="form" onSubmit=${confirm}>
          <label>${t('signin.totp')}<input inputmode="numeric" autocomplete="one-time-code" required
            pattern="[0-9]{6}" maxlength="6" value=${code} onInput=${(e) => setCode(e.target.value)} /></label>
          <button type="submit" class="primary" disabled=${busy}>${t('signin.enrol.confirm')}</button>
        </form>` : html`<button type="button" class="primary" disabled=${busy} onClick=${begin}>
          ${t('signin.enrol.begin')}</button>`}
    </div>`}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </section>`;
}

// Sign-in: user name, password and TOTP code (accounts through /api/v1/auth/sign-in), or, when
// the gateway is configured with an OpenID provider, a button that starts the provider's code flow
// (GET /api/v1/auth/oidc/start; the provider sends the browser back to #/signin?oidc=done and the
// page takes the session over); for development a token form (a demo token of
// deploy/run-local.sh, POST /api/v1/auth/token-session).
export function SignInPage() {
  const route = useRoute();
  const oidcOutcome = (route.query && route.query.oidc) || '';
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [config, setConfig] = useState({});
  const [step, setStep] = useState(null);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    authConfig().then(setConfig);
  }, []);
  useEffect(() => {
    if (oidcOutcome === 'done') {
      setBusy(true);
      oidcSession()
        .then(goHome)
        .catch((err) => setError(err.status === 401 ? t('signin.oidc.expired') : errorText(err)))
        .finally(() => setBusy(false));
    } else if (oidcOutcome) {
      setError(t(`signin.oidc.${OIDC_OUTCOMES.includes(oidcOutcome) ? oidcOutcome : 'failed'}`));
    }
  }, [oidcOutcome]);

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const res = await signIn(username.trim(), password, totp.trim());
      if (res.accessToken) {
        goHome();
      } else if ((res.passwordChangeRequired || res.totpEnrolmentRequired) && res.enrolmentToken) {
        setNotice('');
        setStep(res);
      } else {
        setError(t('signin.failed'));
      }
    } catch (err) {
      setError(err.status === 401 ? t('signin.invalid') : errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function submitToken(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await tokenSession(token.trim());
      goHome();
    } catch (err) {
      setError(err.status === 401 ? t('signin.tokenInvalid') : errorText(err));
    } finally {
      setBusy(false);
    }
  }

  // GET /api/v1/auth/config: {mode: "built_in" | "oidc", issuer, ..., tokenSignIn}. Until it
  // answers (or when it cannot), both forms show.
  const oidc = config.mode === 'oidc' ? config : null;
  const tokenForm = config.tokenSignIn !== false;
  return html`<main class="signin">
    <h1>${t('signin.title')}</h1>
    ${oidc ? html`<section class="card form">
      <p class="muted">${t('signin.oidcIntro', { issuer: oidc.issuer || '' })}</p>
      <a class="button primary" data-testid="signin-oidc" href="/api/v1/auth/oidc/start"
        aria-disabled=${busy ? 'true' : undefined}>${t('signin.oidcSubmit')}</a>
    </section>` : null}
    ${notice ? html`<p class="ok" role="status">${notice}</p>` : null}
    ${step ? html`<${Enrolment} step=${step} onDone=${(msg) => {
      setStep(null);
      setPassword('');
      setTotp('');
      setNotice(msg);
    }} />` : null}
    ${oidc ? null : html`<form class="card form" onSubmit=${submit}>
      <label>${t('signin.username')}
        <input data-testid="signin-username" autocomplete="username" required
          value=${username} onInput=${(e) => setUsername(e.target.value)} /></label>
      <label>${t('signin.password')}
        <input data-testid="signin-password" type="password" autocomplete="current-password"
          required value=${password} onInput=${(e) => setPassword(e.target.value)} /></label>
      <label>${t('signin.totp')}
        <input data-testid="signin-totp" inputmode="numeric" autocomplete="one-time-code"
          pattern="[0-9]{6}" maxlength="6" value=${totp}
          onInput=${(e) => setTotp(e.target.value)} /></label>
      <button type="submit" class="primary" data-testid="signin-submit" disabled=${busy}>
        ${t('signin.submit')}</button>
    </form>`}
    ${error ? html`<p class="error" role="alert" data-testid="signin-error">${error}</p>` : null}
    ${tokenForm ? html`<section class="card dev-token">
      <h2>${t('signin.tokenTitle')}</h2>
      <form class="form" onSubmit=${submitToken}>
        <label>${t('signin.token')}
          <textarea data-testid="signin-token" rows="4" spellcheck="false" required
            value=${token} onInput=${(e) => setToken(e.target.value)}></textarea></label>
        <button type="submit" data-testid="signin-token-submit" disabled=${busy}>
          ${t('signin.tokenSubmit')}</button>
      </form>
    </section>` : null}
  </main>`;
}
