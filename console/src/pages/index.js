// The console's pages by their hash route's first part, and the navigation's entries.
import { html } from '../html.js';
import { InboxPage } from './inbox.js';
import { HazardsPage } from './hazards.js';
import { HazardDetailPage } from './hazard_detail.js';

export const NAV = ['inbox', 'hazards'];

export const ROUTES = {
  inbox: () => html`<${InboxPage} />`,
  hazards: ({ id, query }) => (id ? html`<${HazardDetailPage} key=${id} id=${id} />`
    : html`<${HazardsPage} query=${query} />`),
};
