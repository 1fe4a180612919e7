import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from './api.js';
import { html } from './html.js';

/** The most the list is reloaded while events keep coming: once per this many milliseconds. */
const LIVE_RELOAD_MS = 500;

/** As many streams as `count` (at least one page) that match `criteria`, from the first. */
async function firstStreams(criteria, count) {
  let page = await getJson('/explorer/api/streams', criteria);
  const items = [...page.items];
  while (page.nextCursor && items.length < count) {
    page = await getJson('/explorer/api/streams', { ...criteria, after: page.nextCursor });
    items.push(...page.items);
  }
  return { items, nextCursor: page.nextCursor };
}

/**
 * Streams by type and id (its start, or any part of it), a page at a time, each under the name
 * its aggregate class gives it. `listeners` takes a function to hear the log's events: the list
 * shown then reloads, so a new stream of the search appears and a changed one shows its
 * version and name, as far as the pages loaded reach.
 */
export function StreamSearch({ streamTypes, onOpen, listeners }) {
  const [type, setType] = useState('');
  const [text, setText] = useState('');
  const [match, setMatch] = useState('prefix');
  const [page, setPage] = useState();
  const [error, setError] = useState();
  // What the event listener needs of the latest render: the search last sent and what it shows.
  const shown = useRef({ criteria: { type, q: text, match }, page });
  shown.current.page = page;
  /** Bumped by every load: an answer to an older one is not shown over a newer one. */
  const loads = useRef(0);

  const show = async (load) => {
    const current = ++loads.current;
    try {
      const next = await load();
      if (current !== loads.current) return;
      setPage(next);
      setError(undefined);
    } catch (failure) {
      if (current === loads.current) setError(failure.message);
    }
  };
  const search = () => {
    shown.current.criteria = { type, q: text, match };
    show(() => getJson('/explorer/api/streams', shown.current.criteria));
  };
  const more = () => {
    const { criteria, page: before } = shown.current;
    show(async () => {
      const next = await getJson('/explorer/api/streams', { ...criteria, after: before.nextCursor });
      return { ...next, items: [...before.items, ...next.items] };
    });
  };
  useEffect(search, []);

  useEffect(() => {
    let timer;
    const reload = () => {
      timer = undefined;
      const { criteria, page: before } = shown.current;
      show(() => firstStreams(criteria, before?.items.length ?? 0));
    };
    const heard = (event) => {
      // A stream's first event may make it one of the search; a later one changes only a stream already listed.
      const listed = shown.current.page?.items.some((stream) => stream.streamId === event.streamId);
      if ((event.version === 1 || listed) && timer === undefined) timer = setTimeout(reload, LIVE_RELOAD_MS);
    };
    listeners.add(heard);
    return () => (listeners.delete(heard), clearTimeout(timer));
  }, [listeners]);

  const submit = (event) => {
    event.preventDefault();
    search();
  };
  return html`
    <h2>Streams</h2>
    <form class="search" onSubmit=${submit}>
      <label>
        Stream type
        <select value=${type} onChange=${(event) => setType(event.target.value)}>
          <option value="">All types</option>
          ${streamTypes.map(
            (t) => html`<option value=${t.streamType}>${t.streamType} (${t.streams.toLocaleString()})</option>`,
          )}
        </select>
      </label>
      <label>
        Stream id
        <input value=${text} placeholder="an id, or its start" onInput=${(event) => setText(event.target.value)} />
      </label>
      <div class="row">
        <select aria-label="Match" value=${match} onChange=${(event) => setMatch(event.target.value)}>
          <option value="prefix">starts with</option>
          <option value="contains">contains</option>
        </select>
        <button type="submit">Search</button>
      </div>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${page?.items.length === 0 && html`<p class="hint">No stream matches.</p>`}
    <ul class="results" aria-label="Streams found">
      ${page?.items.map(
        (stream) =>
          html`<li key=${stream.streamId}>
            <button type="button" title=${stream.streamId} onClick=${() => onOpen(stream.streamId)}>
              ${stream.displayName && html`<strong>${stream.displayName}</strong>`}
              <code>${stream.streamId}</code>
              <small>${stream.streamType} · version ${stream.version}</small>
            </button>
          </li>`,
      )}
    </ul>
    ${page?.nextCursor && html`<button type="button" class="more" onClick=${more}>More streams</button>`}
  `;
}
