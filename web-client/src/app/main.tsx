// One file per view; the order is the cascade's (later files may override earlier ones).
import './styles/base.css';
import './styles/controls.css';
import './styles/login.css';
import './styles/console.css';
import './styles/tables.css';
import './styles/chart.css';
import './styles/portal.css';
import './styles/messages.css';
import './styles/fleet.css';
import './styles/layout.css';

import { render } from 'preact';

import { App } from './app.js';

const root = document.getElementById('app');
if (root) {
  render(<App />, root);
}
