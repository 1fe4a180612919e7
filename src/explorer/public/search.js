import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';
import { html } from './html.js';

/** Streams by type and id (its start, or any part of it), a page at a time. */
export function StreamSearch({ streamTypes, onOpen }) {
  const [type, setType] = useState('');
  const [text, setText] = useState('');
  const [match, setMatch] = useState('prefix');
  const [page, setPage] = useState();
  const [error, setError] = useState();

  const search = async (after) => {
    try {
      const next = await getJson('/explorer/api/streams', { type, q: text, match, after });
      setPage((shown) => (after ? { ...next, items: [...shown.items, ...next.items] } : next));
      setError(undefined);
    } catch (failure) {
      setError(failure.message);
    }
  };
  useEffect(() => void search(), []);

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
              <code>${stream.streamId}</code>
              <small>${stream.streamType} · version ${stream.version}</small>
            </button>
          </li>`,
      )}
    </ul>
    ${page?.nextCursor && html`<button type="button" class="more" onClick=${() => search(page.nextCursor)}>More streams</button>`}
  `;
}
