// preact + htm, served by the daemon from node_modules (never a CDN). htm turns tagged templates into
// preact elements without eval; every ${value} in a text position becomes a text node, never HTML.
import { Component, Fragment, h, render } from '/assets/vendor/preact.mjs';
import htm from '/assets/vendor/htm.mjs';

export const html = htm.bind(h);
export { Component, Fragment, render };
