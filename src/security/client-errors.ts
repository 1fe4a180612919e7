import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Node answers requests it cannot parse or that arrive too slowly itself, before any
 * route runs: by default with a bare status line and no body. Clients of this API read
 * every error as application/problem+json, so these answers get one too. Statuses are
 * Node's own: 408 for a request past its time bounds, 431 for headers too large, 413
 * for oversized chunk extensions, 400 for anything else it cannot parse.
 */
export function answerClientErrorsWithProblems(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // Half a response already went out, or the peer is gone: there is nobody to answer.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const status = statusOf(error.code);
    const body = JSON.stringify({
      type: 'about:blank',
      title: STATUS_CODES[status],
      status,
      detail: detailOf(status),
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}

function statusOf(code: string | undefined): number {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 413;
  return 400;
}

// Fixed texts: the parser's own messages name its internals, and echo nothing useful to a client.
function detailOf(status: number): string {
  if (status === 408) return 'The request did not arrive in time (HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS)';
  if (status === 431) return 'The request headers are too large';
  if (status === 413) return 'A chunk extension is too large';
  return 'The request is not valid HTTP/1.1';
}
