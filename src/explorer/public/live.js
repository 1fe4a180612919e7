import { useEffect, useState } from 'preact/hooks';
import { followLog, getJson } from './api.js';
import { html } from './html.js';
import { short } from './format.js';

const LIVE_EVENTS_KEPT = 50;
const FOLLOWERS_REFRESH_MS = 2_000;

/** The notification log as it grows, newest first; `onEvent` hears of each event too. */
export function LiveLog({ after, onOpen, onEvent }) {
  const [events, setEvents] = useState([]);
  const [status, setStatus] = useState('connecting');
  useEffect(() => {
    const stop = new AbortController();
    const received = (event) => {
      setEvents((shown) => [event, ...shown].slice(0, LIVE_EVENTS_KEPT));
      onEvent(event);
    };
    followLog(after, received, setStatus, stop.signal);
    return () => stop.abort();
  }, [after]);

  return html`<section class="panel">
    <h2>Live log <span class=${`status ${status === 'live' ? 'ok' : 'down'}`}>${status}</span></h2>
    ${events.length === 0 && html`<p class="hint">Waiting for events…</p>`}
    <ol class="live" aria-label="Live log">
      ${events.map(
        (event) =>
          html`<li key=${event.position}>
            <button
              type="button"
              title=${`${event.streamType} ${event.streamId}`}
              onClick=${() => onOpen(event.streamId)}
            >
              <span class="position">#${event.position}</span>
              <strong>${event.type}</strong>
              <small>${event.streamType} ${short(event.streamId)} v${event.version}</small>
            </button>
          </li>`,
      )}
    </ol>
  </section>`;
}

/** Every follower of the log (GET /projections): where it stands, how far behind, whether it fails. */
export function Followers() {
  const [report, setReport] = useState();
  const [error, setError] = useState();
  useEffect(() => {
    let timer;
    let stopped = false;
    const refresh = async () => {
      try {
        setReport(await getJson('/projections'));
        setError(undefined);
      } catch (failure) {
        setError(failure.message);
      }
      if (!stopped) timer = setTimeout(refresh, FOLLOWERS_REFRESH_MS);
    };
    refresh();
    return () => ((stopped = true), clearTimeout(timer));
  }, []);

  return html`<section class="panel">
    <h2>Followers</h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${
      report &&
      html`<table class="followers">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Position</th>
            <th scope="col" title="events not processed yet · age of the oldest">Lag</th>
          </tr>
        </thead>
        <tbody>
          ${report.items.map(
            (follower) =>
              html`<tr key=${follower.name} title=${follower.lastError?.message ?? ''}>
                <td>${follower.name}</td>
                <td>
                  <span class=${`status ${follower.status === 'live' ? 'ok' : 'down'}`}>${follower.status}</span
                  >${follower.heldBack ? ' (held back)' : ''}
                </td>
                <td>${follower.checkpoint}</td>
                <td>${follower.lagPositions} · ${follower.lagSeconds} s</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
    ${
      report?.oldestTransactionSeconds >= 1 &&
      html`<p class="hint">
        A transaction has been open for ${Math.round(report.oldestTransactionSeconds)} s: followers wait for it to end.
      </p>`
    }
  </section>`;
}
