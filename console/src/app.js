import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { lang, setLang, t } from './i18n/index.js';
import { currentClaims, loadSession, onSessionChange } from './session.js';
import { signOut } from './api.js';
import { navigate, useRoute } from './router.js';
import { inbox, useInbox, isPending } from './inbox_store.js';
import { SignInPage } from './pages/signin.js';
import { NAV, ROUTES } from './pages/index.js';
import { homePage, mayUse } from './page_access.js';
import { Icon } from './components/icons.js';

// A page the role cannot use (page_access.js) is not opened: it would only show the service's
// refusal.
function NotAvailable({ role }) {
  const home = homePage(role);
  return html`<section class="page"><div class="card" data-testid="page-not-available" role="status">
    <p>${t('access.notAvailable')}</p>
    <p><a href=${`#/${home}`}>${t(`nav.${home}`)}</a></p>
  </div></section>`;
}

function Page({ route, role }) {
  const [first, second] = route.parts;
  if (!ROUTES[first]) return ROUTES[homePage(role)]({ id: '', query: {} });
  if (!mayUse(role, first)) return html`<${NotAvailable} role=${role} />`;
  return ROUTES[first]({ id: second || '', query: route.query });
}

function Nav({ active, role }) {
  const { items } = useInbox();
  let pending = 0;
  for (const n of items.values()) if (isPending(n)) pending++;
  useEffect(() => {
    document.title = pending ? `(${pending}) ${t('app.title')}` : t('app.title');
  }, [pending, lang()]);
  return html`<nav class="nav" aria-label=${t('nav.label')}>
    ${NAV.filter((name) => mayUse(role, name)).map((name) => html`<a href=${`#/${name}`} data-testid=${`nav-${name}`}
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
  const role = (claims && claims.role) || '';

  useEffect(() => onSessionChange(setToken), []);
  useEffect(() => {
    document.documentElement.lang = lang();
  }, []);
  // The inbox runs for the whole session (a token that is no JWT still has one, unnamed), for
  // the roles that have one.
  const subject = token && mayUse(role, 'inbox') ? (claims && claims.subject) || 'session' : '';
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
    if (token && (onSignin || route.parts.length === 0)) navigate([homePage(role)]);
  }, [token, onSignin, route.parts.length, role]);

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
    <${Nav} active=${active} role=${role} />
    <main class="content"><${Page} route=${route} role=${role} /></main>
  </div>`;
}
