import { h } from 'preact';
import htm from 'htm';

// htm tagged templates bound to preact: JSX-like markup with no compile step of its own.
export const html = htm.bind(h);
