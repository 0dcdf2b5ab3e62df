import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { call } from '../api.js';
import { formatTime, formatDate } from '../format.js';
import { inbox, isPending, sortNotifications, useInbox } from '../inbox_store.js';
import { ErrorBox, Empty, Loading, useAsync, errorText } from '../components/ui.js';
import { currentClaims } from '../session.js';
import { mayUse } from '../page_access.js';

const hazardCache = new Map();
const guidanceCache = new Map();

// At most a few look-ups at once, so that a long inbox does not burst the services' per-caller
// rate limit.
const queue = [];
let running = 0;
function limited(load) {
  return new Promise((resolve, reject) => {
    queue.push({ load, resolve, reject });
    pump();
  });
}
function pump() {
  while (running < 4 && queue.length) {
    const { load, resolve, reject } = queue.shift();
    running++;
    load().then(resolve, reject).finally(() => {
      running--;
      pump();
    });
  }
}

function cached(cache, key, load) {
  if (!cache.has(key)) {
    const p = limited(load);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return cache.get(key);
}

// True once the element has come near the viewport (then stays true).
function useSeen() {
  const ref = useRef(null);
  const [seen, setSeen] = useState(!globalThis.IntersectionObserver);
  useEffect(() => {
    if (seen || !ref.current) return undefined;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setSeen(true);
        io.disconnect();
      }
    }, { rootMargin: '200px' });
    io.observe(ref.current);
    return () => io.disconnect();
  }, [seen]);
  return [ref, seen];
}

// The task's guidance steps (流程引导, from its category) and its deadline (the assignment's, or
// the category's usual period while it is not yet assigned).
function TaskGuidance({ notification }) {
  const [ref, seen] = useSeen();
  const { data, error } = useAsync(async () => {
    if (!seen) return undefined;
    const hazard = await cached(hazardCache, notification.notificationId, () =>
      call('hazards', 'GetHazard', { hazardId: notification.hazardId }));
    const guidance = hazard.category
      ? await cached(guidanceCache, hazard.category, () =>
        call('hazards', 'GetGuidance', { category: hazard.category }))
      : null;
    return { hazard, guidance };
  }, [notification.notificationId, seen]);
  if (error) return html`<p class="muted small" ref=${ref}>${errorText(error)}</p>`;
  const hazard = data && data.hazard;
  const guidance = data && data.guidance;
  const deadline = hazard && hazard.assignment && hazard.assignment.deadline;
  return html`<div class="task-guidance" ref=${ref}>
    <p class="small" data-testid="inbox-deadline">${t('inbox.deadlineLabel')}${!data ? t('common.loading') : deadline ? formatDate(deadline)
        : guidance && guidance.usualDeadlineDays
          ? t('inbox.usualDeadline', { days: guidance.usualDeadlineDays }) : '—'}</p>
    <div data-testid="inbox-guidance">
      ${guidance ? html`<p class="small strong">${guidance.title}</p>
        <ol class="steps">${(guidance.steps || []).map((s) => html`<li>${s}</li>`)}</ol>`
        : html`<p class="muted small">${data ? t('inbox.noGuidance') : t('common.loading')}</p>`}
    </div>
  </div>`;
}

function InboxItem({ n }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const needsAck = n.requiresAck && !n.acknowledged;

  async function ack(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await inbox.acknowledge(n.notificationId, note.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  async function markRead() {
    try {
      await inbox.markRead(n.notificationId);
    } catch (err) {
      setError(err);
    }
  }

  const urgent = n.priority === 'PRIORITY_URGENT';
  // A role that cannot read hazards (a micro station, an agency) gets the hazard's id only: no
  // link to a page it cannot open, no look-up the hazards service would refuse.
  const readsHazards = mayUse((currentClaims() || {}).role, 'hazards');
  return html`<li class=${`card inbox-item${urgent ? ' urgent' : ''}${n.acknowledged ? ' done' : ''}`}
      data-testid="inbox-item" data-notification-id=${n.notificationId}
      data-hazard-id=${n.hazardId || undefined} data-kind=${n.kind}
      data-acknowledged=${n.acknowledged ? 'true' : 'false'}>
    <div class="item-head">
      <span class="tag">${enumLabel(n.kind)}</span>
      <span class="muted small">${formatTime(n.createdAt)}</span>
    </div>
    <h3 class="item-title">${n.title}</h3>
    ${n.body ? html`<p class="item-body">${n.body}</p>` : null}
    ${n.hazardId && readsHazards ? html`<p class="small"><a href=${`#/hazards/${encodeURIComponent(n.hazardId)}`}>
      ${t('inbox.openHazard')} ${n.hazardId}</a></p>` : null}
    ${n.hazardId && !readsHazards ? html`<p class="small muted" data-testid="inbox-hazard-id">
      ${t('inbox.hazard')} ${n.hazardId}</p>` : null}
    ${n.hazardId && readsHazards ? html`<${TaskGuidance} notification=${n} />` : null}
    ${n.acknowledged ? html`<p class="small ok">${t('inbox.acknowledgedBy', {
      who: n.acknowledgedBy || '', at: formatTime(n.acknowledgedAt) })}
      ${n.acknowledgementNote ? html`<br />${t('inbox.note')}: ${n.acknowledgementNote}` : null}</p>` : null}
    ${needsAck ? html`<form class="ack-form" onSubmit=${ack}>
      <input data-testid="inbox-ack-note" maxlength="1000" placeholder=${t('inbox.ackNotePlaceholder')}
        value=${note} onInput=${(e) => setNote(e.target.value)} />
      <button type="submit" class="primary" data-testid="inbox-ack-submit" disabled=${busy}>
        ${t('inbox.acknowledge')}</button>
    </form>` : null}
    ${!n.requiresAck && !n.read ? html`<button type="button" class="link" onClick=${markRead}>
      ${t('inbox.markRead')}</button>` : null}
    <${ErrorBox} error=${error} />
  </li>`;
}

function LiveIndicator({ state }) {
  return html`<span class=${`live live-${state}`} data-testid="inbox-live" data-state=${state}>
    <span class="dot" aria-hidden="true"></span>${t(`inbox.stream.${state}`)}</span>`;
}

function DesktopNotifications() {
  const [perm, setPerm] = useState(globalThis.Notification ? Notification.permission : 'denied');
  if (!globalThis.Notification || perm !== 'default') return null;
  return html`<button type="button" class="link small"
      onClick=${() => Notification.requestPermission().then(setPerm)}>
    ${t('inbox.enableDesktop')}</button>`;
}

export function InboxPage() {
  const { items, stream, listed, error } = useInbox();
  const [tab, setTab] = useState('unread');
  // Acknowledged while this tab is shown: they stay in place (marked done) until the tab changes.
  const [seen] = useState(() => new Set());
  const all = sortNotifications([...items.values()]);
  const shown = all.filter((n) => {
    if (tab === 'unread') {
      if (isPending(n)) {
        seen.add(n.notificationId);
        return true;
      }
      return seen.has(n.notificationId);
    }
    return !isPending(n);
  });
  function switchTab(next) {
    seen.clear();
    setTab(next);
  }
  const pending = all.filter(isPending).length;
  return html`<section class="page inbox">
    <div class="page-head">
      <h1>${t('inbox.title')}</h1>
      <${LiveIndicator} state=${stream} />
      <${DesktopNotifications} />
    </div>
    <div class="tabs" role="tablist">
      <button type="button" role="tab" data-testid="inbox-tab-unread" aria-selected=${tab === 'unread'}
        class=${tab === 'unread' ? 'active' : ''} onClick=${() => switchTab('unread')}>
        ${t('inbox.tab.unread')} (${pending})</button>
      <button type="button" role="tab" data-testid="inbox-tab-acknowledged"
        aria-selected=${tab === 'acknowledged'} class=${tab === 'acknowledged' ? 'active' : ''}
        onClick=${() => switchTab('acknowledged')}>${t('inbox.tab.acknowledged')}</button>
    </div>
    <${ErrorBox} error=${error} />
    <${Loading} when=${!listed && !shown.length} />
    <${Empty} when=${listed && !shown.length} text=${t('inbox.empty')} />
    <ul class="list">${shown.map((n) => html`<${InboxItem} key=${n.notificationId} n=${n} />`)}</ul>
  </section>`;
}
