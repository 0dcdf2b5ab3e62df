// The console's pages by their hash route's first part, and the navigation's entries.
import { html } from '../html.js';
import { InboxPage } from './inbox.js';
import { HazardsPage } from './hazards.js';
import { HazardDetailPage } from './hazard_detail.js';
import { LedgerPage } from './ledger.js';
import { BuildingPage } from './building.js';
import { FiguresPage } from './figures.js';
import { CreditPage } from './credit.js';
import { AlarmsPage } from './alarms.js';
import { MapPage } from './map.js';

export const NAV = ['inbox', 'hazards', 'ledger', 'figures', 'credit', 'alarms', 'map'];

export const ROUTES = {
  inbox: () => html`<${InboxPage} />`,
  hazards: ({ id, query }) => (id ? html`<${HazardDetailPage} key=${id} id=${id} />`
    : html`<${HazardsPage} query=${query} />`),
  ledger: ({ query }) => html`<${LedgerPage} query=${query} />`,
  buildings: ({ id }) => html`<${BuildingPage} key=${id} id=${id} />`,
  figures: ({ query }) => html`<${FiguresPage} query=${query} />`,
  credit: ({ query }) => html`<${CreditPage} query=${query} />`,
  alarms: () => html`<${AlarmsPage} />`,
  map: () => html`<${MapPage} />`,
};
