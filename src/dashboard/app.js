// Entry point of the dashboard: one store, one view tree, one live connection.
import { html, render } from './html.js';
import { Store } from './store.js';
import { AppView } from './views/app-view.js';

const store = new Store();
const root = document.getElementById('app');
root.replaceChildren(); // the "Loading…" placeholder (render() keeps what it did not create)
render(html`<${AppView} store=${store} />`, root);
void store.start();
