import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { call } from '../api.js';
import { formatTime } from '../format.js';
import { useInbox } from '../inbox_store.js';
import { Empty, ErrorBox, Loading, useAsync } from '../components/ui.js';

// Active alarms by building; refreshed when a fire-alarm notification arrives on the live
// stream and every 15 s while the page is open.
export function groupByBuilding(alarms) {
  const groups = new Map();
  for (const a of alarms) {
    const k = a.buildingId || '';
    if (!groups.has(k)) groups.set(k, { buildingId: k, buildingName: a.buildingName || k, alarms: [] });
    groups.get(k).alarms.push(a);
  }
  return [...groups.values()];
}

function AlarmRow({ alarm, onChanged }) {
  const [mode, setMode] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const active = alarm.state === 'ALARM_STATE_ACTIVE_UNACK' || alarm.state === 'ALARM_STATE_ACTIVE_ACK';
  const unacked = alarm.state === 'ALARM_STATE_ACTIVE_UNACK' || alarm.state === 'ALARM_STATE_CLEARED_UNACK';

  async function send(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const method = mode === 'ack' ? 'AcknowledgeAlarm' : 'ClearAlarm';
      onChanged(await call('monitoring', method, { alarmId: alarm.alarmId, note: note.trim() }));
      setMode('');
      setNote('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`<li class=${`card alarm${alarm.type === 'ALARM_TYPE_FIRE' ? ' urgent' : ''}`}
      data-testid="alarm-row" data-alarm-id=${alarm.alarmId} data-state=${alarm.state}>
    <div class="item-head">
      <span><span class="tag">${enumLabel(alarm.severity)}</span> <strong>${enumLabel(alarm.type)}</strong></span>
      <span class="muted small">${formatTime(alarm.raisedAt)}</span>
    </div>
    <p class="small">${enumLabel(alarm.state)} · ${alarm.deviceId}${alarm.floor ? ` · ${alarm.floor}` : ''}${alarm.point ? ` · ${alarm.point}` : ''}
      ${alarm.details ? html`<br />${alarm.details}` : null}
      ${alarm.hazardId ? html`<br /><a href=${`#/hazards/${encodeURIComponent(alarm.hazardId)}`}>${alarm.hazardId}</a>` : null}</p>
    <div class="row">
      ${unacked ? html`<button type="button" data-testid="alarm-ack" onClick=${() => setMode('ack')}>${t('alarms.ack')}</button>` : null}
      ${active ? html`<button type="button" data-testid="alarm-clear" onClick=${() => setMode('clear')}>${t('alarms.clear')}</button>` : null}
    </div>
    ${mode ? html`<form class="ack-form" onSubmit=${send}>
      <input data-testid="alarm-note" maxlength="1000" required=${mode === 'clear'} value=${note}
        placeholder=${t(mode === 'clear' ? 'alarms.clearNote' : 'alarms.ackNote')}
        onInput=${(e) => setNote(e.target.value)} />
      <button type="submit" class="primary" data-testid="alarm-confirm" disabled=${busy}>
        ${t(mode === 'clear' ? 'alarms.clear' : 'alarms.ack')}</button>
      <button type="button" onClick=${() => setMode('')}>${t('common.cancel')}</button>
    </form>` : null}
    <${ErrorBox} error=${error} />
  </li>`;
}

export function AlarmsPage() {
  const [tick, setTick] = useState(0);
  const [changed, setChanged] = useState({});
  const { items } = useInbox();
  let fireAlarms = 0;
  for (const n of items.values()) if (n.kind === 'KIND_FIRE_ALARM') fireAlarms++;
  useEffect(() => {
    const timer = setInterval(() => setTick((x) => x + 1), 15000);
    return () => clearInterval(timer);
  }, []);
  const { data, error, loading } = useAsync(() => call('monitoring', 'ListAlarms', {
    states: ['ALARM_STATE_ACTIVE_UNACK', 'ALARM_STATE_ACTIVE_ACK', 'ALARM_STATE_CLEARED_UNACK'],
    pageSize: 200 }), [tick, fireAlarms]);
  const alarms = ((data && data.alarms) || []).map((a) => changed[a.alarmId] && Number(changed[a.alarmId].version) >= Number(a.version) ? changed[a.alarmId] : a);
  const onChanged = (a) => setChanged({ ...changed, [a.alarmId]: a });
  return html`<section class="page alarms">
    <div class="page-head"><h1>${t('alarms.title')}</h1>
      <button type="button" class="link" onClick=${() => setTick(tick + 1)}>${t('common.refresh')}</button></div>
    <${ErrorBox} error=${error} /><${Loading} when=${loading && !data} />
    <${Empty} when=${data && !alarms.length} text=${t('alarms.none')} />
    ${groupByBuilding(alarms).map((g) => html`<section data-testid="alarm-building" data-building-id=${g.buildingId}>
      <h2>${g.buildingId ? html`<a href=${`#/buildings/${encodeURIComponent(g.buildingId)}`}>${g.buildingName}</a>` : '—'}
        <span class="muted small"> (${g.alarms.length})</span></h2>
      <ul class="list">${g.alarms.map((a) => html`<${AlarmRow} key=${a.alarmId} alarm=${a} onChanged=${onChanged} />`)}</ul>
    </section>`)}
  </section>`;
}
