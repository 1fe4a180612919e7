const TOKEN_KEY = 'chronicle-explorer-token';

/** The bearer token pasted into the page (when authentication is on), kept for this tab only. */
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => (value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY)),
};

const authorization = () => (token.get() ? { Authorization: `Bearer ${token.get()}` } : {});

/** A refusal of the app: its status and the `detail` of its problem document. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function refusal(response) {
  const problem = await response.json().catch(() => undefined);
  return new ApiError(response.status, problem?.detail ?? `${response.status} ${response.statusText}`);
}

/** GETs a JSON resource of the app; empty query values are left out. */
export async function getJson(path, query = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== undefined && value !== ''));
  const response = await fetch(params.size > 0 ? `${path}?${params}` : path, {
    headers: { Accept: 'application/json', ...authorization() },
  });
  if (!response.ok) throw await refusal(response);
  return response.json();
}

export const streamPath = (streamId) => `/explorer/api/streams/${encodeURIComponent(streamId)}`;

const pause = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Follows the notification log's Server-Sent Events after position `after` until `signal`
 * aborts: `onEvent` gets each event, `onStatus` 'live' or why the stream is down. Read
 * with fetch, since EventSource cannot send an Authorization header; after a failure it
 * reconnects with Last-Event-ID, so no event is missed or repeated.
 */
export async function followLog(after, onEvent, onStatus, signal) {
  let last = after;
  while (!signal.aborted) {
    try {
      const response = await fetch('/notifications/stream', {
        headers: { ...authorization(), 'Last-Event-ID': String(last) },
        signal,
      });
      if (!response.ok) throw await refusal(response);
      onStatus('live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        buffer += read.value;
        const messages = buffer.split('\n\n');
        buffer = messages.pop();
        for (const message of messages) {
          const data = message
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice('data: '.length))
            .join('\n');
          if (data === '') continue; // a heartbeat comment
          const event = JSON.parse(data);
          last = event.position;
          onEvent(event);
        }
      }
      onStatus('reconnecting');
    } catch (error) {
      if (signal.aborted) return;
      onStatus(error instanceof ApiError ? error.message : 'reconnecting');
    }
    await pause(2_000, signal);
  }
}
