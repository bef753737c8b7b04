// Calls to the public HTTP API. When the server requires keys, a 401 opens a prompt for one; the
// key is kept in sessionStorage (this tab only) and sent as a Bearer token. A 403 on a change
// marks the key as read-only, which hides the action buttons.

const keyStorage = 'jobqueue.apiKey';
const readOnlyStorage = 'jobqueue.readOnly';
const maxPrompts = 3;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The server returned HTTP ${status}.`);
    this.status = status;
    this.problem = problem;
  }
}

let pendingPrompt = null;

// The page lives at <api>/dashboard/, so the API's paths resolve against the folder above it; this
// keeps working when a proxy serves the API under a path prefix.
const apiBase = new URL('../', window.location.href);

/** The absolute URL of an API path such as /v1/jobs. */
export function apiUrl(path) {
  return new URL(path.replace(/^\//, ''), apiBase).toString();
}

export function apiKey() {
  return sessionStorage.getItem(keyStorage);
}

export function forgetKey() {
  sessionStorage.removeItem(keyStorage);
  setReadOnly(false);
  updateKeyControls();
}

export function isReadOnly() {
  return sessionStorage.getItem(readOnlyStorage) === '1';
}

function setReadOnly(readOnly) {
  if (readOnly) sessionStorage.setItem(readOnlyStorage, '1');
  else sessionStorage.removeItem(readOnlyStorage);
  document.body.classList.toggle('read-only', readOnly);
  document.getElementById('read-only-badge').hidden = !readOnly;
}

export function updateKeyControls() {
  document.getElementById('sign-out').hidden = !apiKey();
  setReadOnly(isReadOnly());
}

/** Headers for a request: JSON, and the key when one is stored. */
export function authHeaders(extra = {}) {
  const headers = { Accept: 'application/json', ...extra };
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  return headers;
}

/**
 * Sends a request and returns the parsed JSON body. Throws ApiError for any other status than
 * 2xx; on 401 it asks for a key and tries again, at most three times.
 */
export async function request(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const headers = authHeaders(body === undefined ? {} : { 'Content-Type': 'application/json' });
    const response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (response.status === 401 && attempt < maxPrompts) {
      const problem = await readProblem(response);
      await promptForKey(apiKey() ? 'The key was not accepted. Enter another key.' : problem?.detail);
      continue;
    }

    if (response.status === 403 && method !== 'GET') {
      setReadOnly(true);
    }

    if (!response.ok) {
      throw new ApiError(response.status, await readProblem(response));
    }

    if (response.status === 204) return null;
    return response.json();
  }
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);

async function readProblem(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** Shows the key dialog once, however many requests are waiting for it, and stores the key. */
export function promptForKey(reason) {
  if (pendingPrompt) return pendingPrompt;
  const dialog = document.getElementById('login-dialog');
  const input = document.getElementById('login-key');
  document.getElementById('login-reason').textContent =
    reason || 'This server requires an API key. Enter one to continue.';
  input.value = '';
  pendingPrompt = new Promise((resolve) => {
    const submitted = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      sessionStorage.setItem(keyStorage, key);
      setReadOnly(false);
      updateKeyControls();
      dialog.close();
      document.getElementById('login-form').removeEventListener('submit', submitted);
      pendingPrompt = null;
      resolve();
    };
    document.getElementById('login-form').addEventListener('submit', submitted);
    dialog.addEventListener('cancel', (event) => event.preventDefault());
    dialog.showModal();
    input.focus();
  });
  return pendingPrompt;
}

/** Builds a query string from an object, leaving out empty values. */
export function query(values) {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') parameters.set(name, value);
  }
  const text = parameters.toString();
  return text ? `?${text}` : '';
}
