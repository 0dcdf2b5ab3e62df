// Server-sent events over fetch (EventSource cannot send the Authorization header): a
// text/event-stream parser and a connection to GET /api/v1/events that reconnects with backoff
// and resumes with Last-Event-ID.

// A parser fed with decoded text chunks in any split; calls onEvent({type, data, id}) for each
// event. Follows the HTML event-stream rules (lines end with CRLF, LF or CR; ":" starts a
// comment; one leading space after the colon is dropped; data lines join with "\n"; an id with
// NUL is ignored; a blank line dispatches) with one difference: an event with a type but no data
// is dispatched too (the gateway's `caught_up`).
export function createEventStreamParser(onEvent) {
  let buffer = '';
  let pendingCR = false;
  let type = '';
  let data = [];
  let lastEventId = '';

  function line(l) {
    if (l === '') {
      if (data.length || type) {
        onEvent({ type: type || 'message', data: data.join('\n'), id: lastEventId });
      }
      type = '';
      data = [];
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') {
      if (!value.includes('\0')) lastEventId = value;
    }
  }

  return {
    feed(chunk) {
      let text = chunk;
      if (pendingCR && text.startsWith('\n')) text = text.slice(1);
      pendingCR = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c === '\n' || c === '\r') {
          line(buffer.slice(start, i));
          if (c === '\r') {
            if (i + 1 < buffer.length) {
              if (buffer[i + 1] === '\n') i++;
            } else {
              pendingCR = true;
            }
          }
          start = i + 1;
        }
      }
      buffer = buffer.slice(start);
    },
    get lastEventId() {
      return lastEventId;
    },
    set lastEventId(v) {
      lastEventId = v;
    },
  };
}

// Delay before reconnect attempt n (0-based): 0.5 s doubling to 30 s, with up to 30 % jitter.
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(30000, 500 * 2 ** attempt);
  return Math.round(base * (1 - 0.3 * random()));
}

// Opens the notification stream and keeps it open. Callbacks: onNotification(notification,
// {live}), onState("connecting" | "live" | "offline"), onCaughtUp(). `fetchImpl` does the
// authorised fetch (api.authorizedFetch). The last event id is kept in `storage` under
// `storageKey` so that a reload resumes where the tab was. A stream silent for `idleMs` (the
// gateway sends a heartbeat every 15 s) is taken for dead (a half-open connection never ends by
// itself) and reopened.
export function connectEvents({
  fetchImpl,
  onNotification,
  onState,
  storage = null,
  storageKey = 'firegrid.lastEventId',
  url = '/api/v1/events',
  idleMs = 45000,
}) {
  let closed = false;
  let controller = null;
  let reader = null;
  let watchdog = null;
  let timer = null;
  let attempt = 0;
  let lastEventId = (storage && storage.getItem(storageKey)) || '';

  async function run() {
    if (closed) return;
    onState('connecting');
    controller = new AbortController();
    const mine = controller;
    let live = false;
    const feedWatchdog = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => mine.abort(), idleMs);
    };
    try {
      feedWatchdog();
      const headers = { Accept: 'text/event-stream' };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const res = await fetchImpl(url, { headers, signal: controller.signal, cache: 'no-store' });
      if (res.status === 400 && lastEventId) {
        // The resume point is refused (e.g. kept from an older stack): start over with a full
        // replay; the inbox drops what it already has.
        lastEventId = '';
        if (storage) storage.removeItem(storageKey);
      }
      if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
      const parser = createEventStreamParser((ev) => {
        if (ev.id) {
          lastEventId = ev.id;
          if (storage) storage.setItem(storageKey, lastEventId);
        }
        if (ev.type === 'caught_up') {
          live = true;
          attempt = 0;
          onState('live');
        } else if (ev.type === 'notification' && ev.data) {
          try {
            onNotification(JSON.parse(ev.data), { live });
          } catch {
            // a malformed event is skipped; the inbox listing still has it
          }
        }
      });
      parser.lastEventId = lastEventId;
      reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        feedWatchdog();
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (e) {
      if (closed) return;
      if (e && e.status === 401) {
        // the session ended (authorizedFetch cleared it): the app goes to sign-in
        onState('offline');
        return;
      }
    } finally {
      clearTimeout(watchdog);
    }
    if (closed) return;
    onState('offline');
    timer = setTimeout(run, backoffDelay(attempt++));
  }

  run();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearTimeout(watchdog);
      if (controller) controller.abort();
      if (reader) reader.cancel().catch(() => {});
    },
  };
}
