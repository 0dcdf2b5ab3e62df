// The caller's inbox: the listing (notify ListInbox) merged with the live stream
// (GET /api/v1/events), one entry per notification id, kept for the whole session so that a
// task arriving on another page is there when the inbox opens.
import { useEffect, useState } from 'preact/hooks';
import { authorizedFetch, call } from './api.js';
import { connectEvents } from './sse.js';

// Merges a newer view of a notification into what is known: inbox state only ever moves
// forward (read, acknowledged), whichever of the listing and the stream arrives last.
export function mergeNotification(known, incoming) {
  if (!known) return { ...incoming };
  const merged = { ...known, ...incoming };
  merged.read = !!(known.read || incoming.read);
  merged.acknowledged = !!(known.acknowledged || incoming.acknowledged);
  if (known.acknowledged && !incoming.acknowledged) {
    merged.acknowledgedAt = known.acknowledgedAt;
    merged.acknowledgedBy = known.acknowledgedBy;
    merged.acknowledgementNote = known.acknowledgementNote;
  }
  return merged;
}

// Pending: needs the user (not acknowledged; for one that needs no acknowledgement: not read).
export function isPending(n) {
  if (n.acknowledged) return false;
  return n.requiresAck ? true : !n.read;
}

// Urgent unacknowledged first, then newest first.
export function sortNotifications(list) {
  const urgent = (n) => (n.priority === 'PRIORITY_URGENT' && !n.acknowledged ? 1 : 0);
  return [...list].sort((a, b) =>
    urgent(b) - urgent(a) || String(b.createdAt || '').localeCompare(String(a.createdAt || '')) ||
    String(b.notificationId).localeCompare(String(a.notificationId)));
}

function beep() {
  try {
    const Ctx = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.1;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
    osc.onended = () => ctx.close();
  } catch {
    // no sound without a user gesture on some browsers; the item still appears
  }
}

function alertUser(n) {
  beep();
  try {
    if (globalThis.Notification && Notification.permission === 'granted' && document.hidden) {
      new Notification(n.title || 'firegrid', { body: n.body || '', tag: n.notificationId });
    }
  } catch {
    // desktop notifications unavailable
  }
}

function createStore() {
  let state = { stream: 'connecting', items: new Map(), listed: false, error: null };
  let connection = null;
  let session = 0;
  const listeners = new Set();

  function emit() {
    for (const fn of listeners) fn(state);
  }
  function set(patch) {
    state = { ...state, ...patch };
    emit();
  }
  function merge(n) {
    if (!n || !n.notificationId) return;
    const items = new Map(state.items);
    items.set(n.notificationId, mergeNotification(items.get(n.notificationId), n));
    set({ items });
  }

  async function list(mine) {
    try {
      let pageToken = '';
      for (let page = 0; page < 5; page++) {
        const res = await call('notify', 'ListInbox', { pageSize: 200, pageToken });
        if (mine !== session) return;
        for (const n of res.notifications || []) merge(n);
        pageToken = res.nextPageToken || '';
        if (!pageToken) break;
      }
      set({ listed: true, error: null });
    } catch (e) {
      if (mine === session) set({ error: e, listed: true });
    }
  }

  return {
    get state() {
      return state;
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    start(subject) {
      this.stop();
      const mine = ++session;
      state = { stream: 'connecting', items: new Map(), listed: false, error: null };
      emit();
      list(mine);
      let storage = null;
      try {
        storage = globalThis.sessionStorage;
      } catch {
        storage = null;
      }
      connection = connectEvents({
        fetchImpl: authorizedFetch,
        storage,
        storageKey: `firegrid.lastEventId.${subject}`,
        onState: (s) => mine === session && set({ stream: s }),
        onNotification: (n, { live }) => {
          if (mine !== session) return;
          const isNew = !state.items.has(n.notificationId);
          merge(n);
          // Sound and desktop notification for what needs the user: a task to acknowledge, an
          // urgent notification (a fire alarm); updates arrive quietly.
          if (live && isNew && (n.requiresAck || n.priority === 'PRIORITY_URGENT')) alertUser(n);
        },
      });
    },
    stop() {
      session++;
      if (connection) connection.close();
      connection = null;
    },
    async acknowledge(id, note) {
      merge(await call('notify', 'Acknowledge', { notificationId: id, note }));
    },
    async markRead(id) {
      merge(await call('notify', 'MarkRead', { notificationId: id }));
    },
  };
}

export const inbox = createStore();

export function useInbox() {
  const [s, setS] = useState(inbox.state);
  useEffect(() => inbox.subscribe(setS), []);
  return s;
}
