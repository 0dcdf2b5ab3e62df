import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { t } from '../i18n/index.js';

// Loads data with `load()` whenever `deps` change; a stale answer (deps changed since) is
// dropped. Returns {data, error, loading, reload}.
export function useAsync(load, deps) {
  const [s, setS] = useState({ data: undefined, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setS((old) => ({ ...old, loading: true, error: null }));
    Promise.resolve()
      .then(load)
      .then(
        (data) => mine === seq.current && setS({ data, error: null, loading: false }),
        (error) => mine === seq.current && setS({ data: undefined, error, loading: false }),
      );
  }, deps);
  useEffect(run, [run]);
  return { ...s, reload: run };
}

// The text of an API error: its gRPC code in words and the service's message.
export function errorText(e) {
  if (!e) return '';
  const code = e.code ? t(`error.${e.code}`) : '';
  const known = code && code !== `error.${e.code}`;
  const head = known ? code : (e.code || (e.status ? `HTTP ${e.status}` : t('error.network')));
  return e.message && e.message !== e.code ? `${head}: ${e.message}` : head;
}

export function ErrorBox({ error, testid }) {
  if (!error) return null;
  return html`<p class="error" role="alert" data-testid=${testid}>${errorText(error)}</p>`;
}

export function Loading({ when }) {
  if (!when) return null;
  return html`<p class="muted">${t('common.loading')}</p>`;
}

export function Empty({ when, text }) {
  if (!when) return null;
  return html`<p class="muted empty">${text || t('common.empty')}</p>`;
}

// A table on a desktop that becomes one card per row on a phone (CSS: each cell shows its
// column's label from data-label).
export function Cell({ label, children, cls }) {
  return html`<td data-label=${label} class=${cls || ''}>${children}</td>`;
}
