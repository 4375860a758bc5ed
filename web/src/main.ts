import './app.css';
import './graph/graph.css';
import './timeline/timeline.css';
import { onConnection } from './api';
import { dropEarly } from './early';
import { catalogueView } from './views/catalogue';
import { partitionsView } from './views/partitions';
import { runView } from './views/run';
import { runsView } from './views/runs';
import { schedulesView } from './views/schedules';
import { timelineView } from './views/timeline';

/**
 * The nectar UI: a hash router over five views. It talks to the API over HTTP only, so it
 * works against any nectar server that serves it (and, with `vite` dev, through its proxy).
 */
const app = document.getElementById('app') as HTMLElement;
const conn = document.getElementById('conn') as HTMLElement;
let leave: (() => void) | null = null;

onConnection((up) => {
  conn.textContent = up ? '' : '⚠ server unreachable';
  conn.classList.toggle('down', !up);
});

function route(): void {
  leave?.();
  leave = null;
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', q = ''] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const section = parts[0] === 'runs' || parts[0] === 'schedules' || parts[0] === 'partitions' ? parts[0] : 'chains';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (a.dataset['nav'] === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (parts[0] === 'runs' && parts[1] && parts[2] === 'timeline') {
    document.title = 'Run timeline · nectar';
    leave = timelineView(app, parts[1], new URLSearchParams(q));
  } else if (parts[0] === 'runs' && parts[1]) {
    document.title = 'Run · nectar';
    leave = runView(app, parts[1], new URLSearchParams(q));
  } else if (parts[0] === 'runs') {
    document.title = 'Runs · nectar';
    leave = runsView(app, new URLSearchParams(q));
  } else if (parts[0] === 'schedules') {
    document.title = 'Schedules · nectar';
    leave = schedulesView(app);
  } else if (parts[0] === 'partitions') {
    document.title = 'Partitions · nectar';
    leave = partitionsView(app, new URLSearchParams(q));
  } else {
    document.title = 'Chains · nectar';
    // `#/chains/<type>/<chain>/<Task>`, or `#/chains/<type>/<Task>` as the CLI names a task.
    void catalogueView(app, parts[0] === 'chains' && parts.length >= 3 ? parts.slice(1, 4).join('/') : null, new URLSearchParams(q));
  }
}

// The skip link moves focus to the view; its href would otherwise be taken for a route.
document.querySelector('.skip-link')?.addEventListener('click', (e) => {
  e.preventDefault();
  app.focus();
});

window.addEventListener('hashchange', route);
route();
dropEarly(); // what index.html asked early is for the first view only
