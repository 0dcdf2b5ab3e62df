// The console's pages by their hash route's first part, and the navigation's entries.
import { html } from '../html.js';
import { InboxPage } from './inbox.js';

export const NAV = ['inbox'];

export const ROUTES = {
  inbox: () => html`<${InboxPage} />`,
};
