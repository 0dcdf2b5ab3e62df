import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { t } from '../i18n/index.js';
import { authConfig, signIn, tokenSession } from '../api.js';
import { navigate } from '../router.js';
import { errorText } from '../components/ui.js';

// Sign-in: user name, password and TOTP code (accounts through /api/v1/auth/sign-in), and for
// development a token form (a demo token of deploy/run-local.sh, POST /api/v1/auth/token-session).
export function SignInPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [config, setConfig] = useState({});

  useEffect(() => {
    authConfig().then(setConfig);
  }, []);

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const res = await signIn(username.trim(), password, totp.trim());
      if (res.accessToken) {
        navigate(['inbox']);
      } else if (res.passwordChangeRequired) {
        setError(t('signin.passwordChangeRequired'));
      } else if (res.totpEnrolmentRequired) {
        setError(t('signin.totpEnrolmentRequired'));
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
      navigate(['inbox']);
    } catch (err) {
      setError(err.status === 401 ? t('signin.tokenInvalid') : errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const oidc = config && config.oidc;
  return html`<main class="signin">
    <h1>${t('signin.title')}</h1>
    ${oidc ? html`<p class="muted">${t('signin.oidcConfigured', { issuer: oidc.issuer || '' })}</p>` : null}
    <form class="card form" onSubmit=${submit}>
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
    </form>
    ${error ? html`<p class="error" role="alert" data-testid="signin-error">${error}</p>` : null}
    <section class="card dev-token">
      <h2>${t('signin.tokenTitle')}</h2>
      <form class="form" onSubmit=${submitToken}>
        <label>${t('signin.token')}
          <textarea data-testid="signin-token" rows="4" spellcheck="false" required
            value=${token} onInput=${(e) => setToken(e.target.value)}></textarea></label>
        <button type="submit" data-testid="signin-token-submit" disabled=${busy}>
          ${t('signin.tokenSubmit')}</button>
      </form>
    </section>
  </main>`;
}
