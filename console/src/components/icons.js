import { html } from '../html.js';

// Small line icons for the navigation (own SVG paths; no icon font from the net).
const PATHS = {
  inbox: 'M3 13h5l2 3h4l2-3h5M5 5h14l2 8v6H3v-6z',
  hazards: 'M12 3l10 18H2zM12 10v5M12 18v.5',
  ledger: 'M5 3h11l3 3v15H5zM8 9h8M8 13h8M8 17h5',
  figures: 'M4 20V10M10 20V4M16 20v-7M22 20H2',
  credit: 'M12 3l8 3v6c0 5-4 8-8 9-4-1-8-4-8-9V6zM8 12l3 3 5-6',
  alarms: 'M6 17V11a6 6 0 0 1 12 0v6l2 2H4zM10 21h4',
  map: 'M3 6l6-3 6 3 6-3v15l-6 3-6-3-6 3zM9 3v15M15 6v15',
};

export function Icon({ name }) {
  return html`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
    <path d=${PATHS[name] || ''} fill="none" stroke="currentColor" stroke-width="1.8"
      stroke-linecap="round" stroke-linejoin="round" />
  </svg>`;
}
