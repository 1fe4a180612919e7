import { h } from 'preact';
import htm from 'htm';

/** JSX-like templates in plain JavaScript: html`<div class=${name}>…</div>`. No build step. */
export const html = htm.bind(h);
