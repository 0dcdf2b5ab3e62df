import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { lang, setLang, t } from './i18n/index.js';
import { currentClaims, loadSession, onSessionChange } from './session.js';
import { signOut } from './api.js';
import { navigate, useRoute } from './router.js';
import { inbox, useInbox, isPending } from './inbox_store.js';
import { SignInPage } from './pages/signin.js';
import { InboxPage } from './pages/inbox.js';
import { NAV, ROUTES } from './pages/index.js';
import { Icon } from './components/icons.js';

function Page({ route }) {
  const [first, second] = route.parts;
  const page = ROUTES[first];
  if (!page) return html`<${InboxPage} />`;
  return page({ id: second || '', query: route.query });
}

function Nav({ active }) {
  const { items } = useInbox();
  let pending = 0;
  for (const n of items.values()) if (isPending(n)) pending++;
  useEffect(() => {
    document.title = pending ? `(${pending}) ${t('app.title')}` : t('app.title');
  }, [pending, lang()]);
  return html`<nav class="nav" aria-label=${t('nav.label')}>
    ${NAV.map((name) => html`<a href=${`#/${name}`} data-testid=${`nav-${name}`}
        class=${active === name ? 'active' : ''} aria-current=${active === name ? 'page' : undefined}>
      <${Icon} name=${name} />
      <span class="nav-label">${t(`nav.${name}`)}</span>
      ${name === 'inbox' && pending ? html`<span class="badge">${pending}</span>` : null}
    </a>`)}
  </nav>`;
}

function LangSwitch({ onChange }) {
  const next = lang() === 'zh-CN' ? 'en' : 'zh-CN';
  return html`<button type="button" class="link" data-testid="lang-switch"
      onClick=${() => { setLang(next); onChange(next); }}>${t('lang.switchTo')}</button>`;
}

export function App() {
  const [token, setToken] = useState(() => loadSession());
  const [, setLangState] = useState(lang());
  const route = useRoute();
  const claims = token ? currentClaims() : null;

  useEffect(() => onSessionChange(setToken), []);
  useEffect(() => {
    document.documentElement.lang = lang();
  }, []);
  // The inbox runs for the whole session (a token that is no JWT still has one, unnamed).
  const subject = token ? (claims && claims.subject) || 'session' : '';
  useEffect(() => {
    if (!subject) {
      inbox.stop();
      return undefined;
    }
    inbox.start(subject);
    return () => inbox.stop();
  }, [subject]);

  const onSignin = route.parts[0] === 'signin';
  useEffect(() => {
    if (!token && !onSignin) navigate(['signin']);
    if (token && (onSignin || route.parts.length === 0)) navigate(['inbox']);
  }, [token, onSignin, route.parts.length]);

  if (!token) {
    return html`<div class="signin-shell">
      <header class="topbar"><span class="brand">${t('app.title')}</span>
        <${LangSwitch} onChange=${setLangState} /></header>
      <${SignInPage} />
    </div>`;
  }
  const active = route.parts[0] === 'buildings' ? 'ledger' : route.parts[0] || 'inbox';
  return html`<div class="shell">
    <header class="topbar">
      <span class="brand">${t('app.title')}</span>
      <span class="whoami" data-testid="whoami" title=${claims ? claims.orgUnit : ''}>
        ${claims ? html`${claims.subject} · ${t(`role.${claims.role}`)}
          <span class="muted role-name"> (${claims.role})</span>` : ''}
      </span>
      <${LangSwitch} onChange=${setLangState} />
      <button type="button" class="link" data-testid="signout"
          onClick=${() => signOut()}>${t('app.signOut')}</button>
    </header>
    <${Nav} active=${active} />
    <main class="content"><${Page} route=${route} /></main>
  </div>`;
}
