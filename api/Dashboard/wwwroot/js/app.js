// The dashboard's router. Each page is a module whose render(main, route) draws it and returns a
// function that stops its timers and listeners when another page opens. Routes live in the hash
// (#/jobs?state=discarded), so every view can be bookmarked and reloaded.

import { forgetKey, updateKeyControls } from './api.js';
import { h, replace } from './dom.js';
import { startEvents } from './events.js';
import * as overview from './overview.js';
import * as jobs from './jobs.js';
import * as job from './job.js';
import * as schedules from './schedules.js';
import * as workers from './workers.js';

let cleanup = null;

function parseRoute() {
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  const segments = path.split('/').filter(Boolean);
  return { segments, params: new URLSearchParams(search) };
}

function pageFor(segments) {
  if (segments.length === 0) return ['overview', overview];
  if (segments[0] === 'jobs' && segments.length === 1) return ['jobs', jobs];
  if (segments[0] === 'jobs' && segments.length === 2) return ['jobs', job];
  if (segments[0] === 'schedules') return ['schedules', schedules];
  if (segments[0] === 'workers') return ['workers', workers];
  return [null, null];
}

function show() {
  if (cleanup) cleanup();
  cleanup = null;
  const main = document.getElementById('main');
  const route = parseRoute();
  const [name, page] = pageFor(route.segments);
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', link.dataset.nav === name);
  }
  if (!page) {
    replace(main, h('div', { class: 'empty' }, 'No such page. ', h('a', { href: '#/' }, 'Open the overview.')));
    return;
  }
  replace(main);
  cleanup = page.render(main, route) ?? null;
}

document.getElementById('sign-out').addEventListener('click', () => {
  forgetKey();
  show();
});
window.addEventListener('hashchange', show);
updateKeyControls();
startEvents();
show();
