// Live updates from GET /v1/events (server-sent events). It is read with fetch rather than
// EventSource because EventSource cannot send an Authorization header. The stream reconnects after
// it ends (the server closes it every few minutes) or fails, waiting longer after each failure.

import { apiUrl, authHeaders } from './api.js';

const listeners = new Set();
const maxDelayMs = 30000;
let started = false;

/** Calls listener(type, data) for each event; returns a function that removes it. */
export function onEvent(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function startEvents() {
  if (started) return;
  started = true;
  run();
}

async function run() {
  let failures = 0;
  for (;;) {
    try {
      const response = await fetch(apiUrl('/v1/events'), { headers: authHeaders({ Accept: 'text/event-stream' }), cache: 'no-store' });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      setLive(true);
      failures = 0;
      await read(response.body);
    } catch {
      failures++;
    }
    setLive(false);
    const delay = Math.min(maxDelayMs, 1000 * 2 ** Math.min(failures, 5));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function read(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

function dispatch(block) {
  let type = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (!data) return;
  let parsed;
  try {
    parsed = JSON.parse(data);
  } catch {
    return;
  }
  for (const listener of listeners) listener(type, parsed);
}

function setLive(on) {
  const element = document.getElementById('live');
  element.classList.toggle('on', on);
  element.title = on ? 'Live updates are on' : 'Live updates are off; reconnecting';
}
