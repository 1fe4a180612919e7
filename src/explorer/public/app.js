import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, token } from './api.js';
import { html } from './html.js';
import { Followers, LiveLog } from './live.js';
import { StreamSearch } from './search.js';
import { StreamView } from './stream.js';

/** How many events before the newest one the live log shows when the page opens. */
const LIVE_BACKLOG = 20;

function TokenField({ onChange }) {
  const [value, setValue] = useState(token.get());
  const submit = (event) => {
    event.preventDefault();
    token.set(value.trim());
    onChange();
  };
  return html`<form class="token" onSubmit=${submit}>
    <label for="token">Bearer token</label>
    <input
      id="token"
      type="password"
      autocomplete="off"
      placeholder="needed when authentication is on"
      value=${value}
      onInput=${(event) => setValue(event.target.value)}
    />
    <button type="submit">Use</button>
  </form>`;
}

const explain = (error) =>
  error.status === 401 || error.status === 403
    ? `${error.message}. The explorer needs a token with the admin role: paste one above.`
    : error.message;

const streamInAddress = () => new URLSearchParams(location.hash.slice(1)).get('stream') ?? undefined;

function Explorer() {
  // Bumped when the token changes: every part then loads again with it.
  const [session, setSession] = useState(0);
  const [overview, setOverview] = useState();
  const [error, setError] = useState();
  const [streamId, setStreamId] = useState(streamInAddress);
  const [newest, setNewest] = useState();
  // Who hears every event of the live log besides the open stream: each render's state would
  // keep only the last of the events that arrive together.
  const listeners = useMemo(() => new Set(), []);
  const heard = (event) => {
    setNewest(event);
    for (const listener of listeners) listener(event);
  };

  useEffect(() => {
    setError(undefined);
    getJson('/explorer/api/overview').then(setOverview, setError);
  }, [session]);

  const open = (id) => {
    setStreamId(id);
    history.replaceState(null, '', `#stream=${encodeURIComponent(id)}`);
  };

  return html`
    <header class="bar">
      <h1>Chronicle <span>event explorer</span></h1>
      <${TokenField} onChange=${() => setSession((n) => n + 1)} />
    </header>
    ${error && html`<p class="error" role="alert">${explain(error)}</p>`}
    <div class="layout" key=${session}>
      <aside class="panel">
        <${StreamSearch} streamTypes=${overview?.streamTypes ?? []} onOpen=${open} listeners=${listeners} />
      </aside>
      <main class="panel">
        ${
          streamId
            ? html`<${StreamView}
                key=${streamId}
                streamId=${streamId}
                liveVersion=${newest?.streamId === streamId ? newest.version : undefined}
              />`
            : html`<p class="hint">Search for a stream, or open one from the live log.</p>`
        }
      </main>
      <aside class="side">
        ${
          overview &&
          html`<${LiveLog}
            after=${Math.max(0, overview.lastPosition - LIVE_BACKLOG)}
            onOpen=${open}
            onEvent=${heard}
          />`
        }
        <${Followers} />
      </aside>
    </div>
  `;
}

render(html`<${Explorer} />`, document.getElementById('explorer'));
