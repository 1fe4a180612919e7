import { useEffect, useState } from 'preact/hooks';
import { getJson, streamPath } from './api.js';
import { json, when } from './format.js';
import { html } from './html.js';

const EVENTS_PER_PAGE = 100;

/**
 * One stream: what it is, its aggregate's state at any version, and its events.
 * `liveVersion` is the newest version the live log saw of it: the view then catches up.
 */
export function StreamView({ streamId, liveVersion }) {
  const [stream, setStream] = useState();
  const [events, setEvents] = useState([]);
  const [version, setVersion] = useState();
  const [error, setError] = useState();

  const loadEvents = async (fromVersion) => {
    const page = await getJson(`${streamPath(streamId)}/events`, { fromVersion, limit: EVENTS_PER_PAGE });
    // Two loads of the same versions (a click and a live update) must not list an event twice.
    setEvents((shown) => [...shown, ...page.items.filter((event) => event.version > (shown.at(-1)?.version ?? 0))]);
  };
  useEffect(() => {
    getJson(streamPath(streamId))
      .then((found) => {
        setStream(found);
        setVersion(found.version);
        return loadEvents(1);
      })
      .catch((failure) => setError(failure.message));
  }, []);
  useEffect(() => {
    if (!stream || !(liveVersion > stream.version)) return;
    getJson(streamPath(streamId))
      .then((found) => {
        // Whoever looked at the newest state keeps doing so; a look back in time stays where it is.
        setVersion((shown) => (shown === stream.version ? found.version : shown));
        setStream(found);
        if (events.length === stream.version) return loadEvents(events.length + 1);
      })
      .catch((failure) => setError(failure.message));
  }, [liveVersion]);

  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!stream) return html`<p class="hint">Loading ${streamId}…</p>`;
  return html`
    <header class="stream-head">
      <h2>${stream.displayName && html`${stream.displayName} `}<code>${stream.streamId}</code></h2>
      <p>
        <span class="tag">${stream.streamType}</span> version ${stream.version} · created ${when(stream.createdAt)} ·
        updated ${when(stream.updatedAt)}
      </p>
    </header>
    ${
      stream.timeTravel
        ? html`<${TimeTravel} stream=${stream} version=${version} onVersion=${setVersion} />`
        : html`<p class="hint">No aggregate class of this app is stored as ${stream.streamType}: no states to show.</p>`
    }
    <${EventTable} events=${events} selected=${stream.timeTravel ? version : undefined} onSelect=${setVersion} />
    ${
      events.length < stream.version &&
      html`<button type="button" class="more" onClick=${() => loadEvents(events.length + 1)}>More events</button>`
    }
  `;
}

/** The aggregate's state right after the event at `version`, with a stepper through the versions. */
function TimeTravel({ stream, version, onVersion }) {
  const [shown, setShown] = useState();
  const [error, setError] = useState();
  useEffect(() => {
    let current = true; // a slow answer for a version stepped past must not overwrite a newer one
    getJson(`${streamPath(stream.streamId)}/state`, { version }).then(
      (state) => current && (setShown(state), setError(undefined)),
      (failure) => current && setError(failure.message),
    );
    return () => (current = false);
  }, [version]);

  return html`
    <section class="time-travel" aria-label="Time travel">
      <div class="stepper">
        <button
          type="button"
          aria-label="Earlier version"
          disabled=${version <= 1}
          onClick=${() => onVersion(version - 1)}
        >
          ◀
        </button>
        <input
          type="range"
          aria-label="Version"
          min="1"
          max=${stream.version}
          value=${version}
          onInput=${(event) => onVersion(Number(event.target.value))}
        />
        <button
          type="button"
          aria-label="Later version"
          disabled=${version >= stream.version}
          onClick=${() => onVersion(version + 1)}
        >
          ▶
        </button>
        <output>version ${version} of ${stream.version}</output>
      </div>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${
        shown &&
        html`<div class="state-grid">
          <table class="state">
            <caption>
              State after version ${shown.version}
            </caption>
            <tbody>
              ${Object.entries(shown.state).map(
                ([field, value]) =>
                  html`<tr key=${field}>
                    <th scope="row">${field}</th>
                    <td><code>${json(value)}</code></td>
                  </tr>`,
              )}
            </tbody>
          </table>
          <div class="produced-by">
            <h3>Produced by</h3>
            <${EventDetails} event=${shown.event} />
          </div>
        </div>`
      }
    </section>
  `;
}

function EventDetails({ event }) {
  return html`<dl class="event">
    <dt>Event</dt>
    <dd><strong>${event.type}</strong> (schema ${event.schemaVersion}) at position ${event.position}</dd>
    <dt>Recorded</dt>
    <dd>${when(event.recordedAt)}</dd>
    <dt>Data</dt>
    <dd><pre>${JSON.stringify(event.data, null, 2)}</pre></dd>
    <dt>Metadata</dt>
    <dd><pre>${JSON.stringify(event.metadata, null, 2)}</pre></dd>
  </dl>`;
}

function EventTable({ events, selected, onSelect }) {
  return html`<table class="events">
    <caption>
      Events
    </caption>
    <thead>
      <tr>
        <th scope="col">Version</th>
        <th scope="col">Type</th>
        <th scope="col">Recorded</th>
        <th scope="col">Data and metadata</th>
      </tr>
    </thead>
    <tbody>
      ${events.map(
        (event) =>
          html`<tr key=${event.version} class=${event.version === selected ? 'selected' : ''}>
            <td>
              ${
                selected === undefined
                  ? event.version
                  : html`<button
                      type="button"
                      title="Show the state after this event"
                      onClick=${() => onSelect(event.version)}
                    >
                      ${event.version}
                    </button>`
              }
            </td>
            <td>${event.type}</td>
            <td>${when(event.recordedAt)}</td>
            <td>
              <code>${json(event.data)}</code>
              <details>
                <summary>metadata</summary>
                <pre>${JSON.stringify(event.metadata, null, 2)}</pre>
              </details>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
