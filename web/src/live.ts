import { api, API_URL } from './api.js';

/**
 * Follows a live view (Server-Sent Events; docs/API.md, "Live views"): `onChange` gets the log
 * position of each event, and the stream's starting position each time it (re)opens, so that
 * whatever happened while it was closed is reloaded too. EventSource cannot send a bearer
 * token, so a single-use stream ticket opens it; after a failure a new ticket reopens it
 * after the last event seen. Returns a function that stops following.
 */
export function follow(path: string, onChange: (position: number) => void): () => void {
  let last: string | undefined;
  let source: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const reopen = (delayMs: number) => {
    source?.close();
    if (!stopped) timer = setTimeout(() => void open().catch(() => reopen(2000)), delayMs);
  };
  const open = async () => {
    // A 401 before signing in ends here; the page says why where it loads the view.
    const { data } = await api.POST('/stream-tickets', { body: { path } });
    if (stopped) return;
    if (!data) return reopen(2000);
    const query = new URLSearchParams({ ticket: data.ticket, ...(last === undefined ? {} : { after: last }) });
    const opened = new EventSource(`${API_URL}${path}?${query}`);
    source = opened;
    let started = false;
    opened.onmessage = (message) => {
      last = message.lastEventId;
      onChange(Number(message.lastEventId));
    };
    opened.addEventListener('position', (message) => {
      last = (message as MessageEvent).lastEventId;
      // The first one says where the stream starts; later ones are heartbeats with nothing new.
      if (!started) onChange(Number(last));
      started = true;
    });
    // Its own reconnection would send the spent ticket.
    opened.onerror = () => reopen(1000);
  };
  reopen(0);
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}

/**
 * `load` for the highest position asked for so far, one call at a time: a burst of events
 * costs a reload or two, not one each, and an older answer never overwrites a newer one.
 * What `load` throws (no answer from the API) goes to `failed`; the next event tries again.
 */
export function reloader(
  load: (minPosition: number) => Promise<void>,
  failed: (error: unknown) => void,
): (position?: number) => Promise<void> {
  let wanted = 0;
  let pending = false;
  let running: Promise<void> | undefined;
  return (position = 0) => {
    wanted = Math.max(wanted, position);
    pending = true;
    running ??= (async () => {
      while (pending) {
        pending = false;
        await load(wanted).catch(failed);
      }
      running = undefined;
    })();
    return running;
  };
}
