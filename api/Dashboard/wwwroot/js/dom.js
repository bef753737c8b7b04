// DOM and formatting helpers. Elements are built with h(), never from HTML strings, so text from
// the API (job arguments, error messages) is always shown as text.

/** Creates an element with attributes (on* keys become listeners) and children (strings, nodes, arrays). */
export function h(tag, attributes = {}, ...children) {
  const element = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the content of an element. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

const numberFormat = new Intl.NumberFormat('en-US');

export function number(value) {
  return numberFormat.format(value ?? 0);
}

/** "12 s ago", "in 3 min": a time relative to now. */
export function relative(iso) {
  if (!iso) return '';
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const text = duration(Math.abs(seconds));
  return seconds > 1 ? `in ${text}` : `${text} ago`;
}

/** A duration in seconds as "850 ms", "42 s", "5 min", "3 h" or "2 d". */
export function duration(seconds) {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** A timestamp in the viewer's local time, with the relative time after it. */
export function timestamp(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const date = new Date(iso);
  return h('span', { title: iso }, date.toLocaleString(), ' ', h('span', { class: 'muted' }, `(${relative(iso)})`));
}

export function stateBadge(state) {
  return h('span', { class: `badge state-${state}` }, state);
}

/** Compact one-line JSON, cut to a length. */
export function preview(value, length = 80) {
  const text = JSON.stringify(value ?? null);
  return text.length > length ? text.slice(0, length - 1) + '…' : text;
}

export function toast(message, bad = false) {
  const container = document.getElementById('toasts');
  const element = h('div', { class: bad ? 'toast bad' : 'toast' }, message);
  container.append(element);
  setTimeout(() => element.remove(), bad ? 8000 : 4000);
}

/** Calls fn at most once per interval; a call during the interval runs once at its end. */
export function throttle(fn, interval) {
  let last = 0;
  let timer = null;
  return () => {
    const wait = last + interval - Date.now();
    if (wait <= 0) {
      last = Date.now();
      fn();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn();
      }, wait);
    }
  };
}
