import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * With no HOST the app binds the loopback, and a client that resolves `localhost` to ::1
 * first would find nothing on 127.0.0.1's twin: so the same request handler also listens
 * on ::1, on the port 127.0.0.1 got. A machine without IPv6 (some containers) has no ::1,
 * and another program may hold that port on ::1 alone: neither is a reason to fail, so
 * then there is no twin (`warn` says why in the second case). `prepare` sets it up as the
 * main server is (timeouts) before it listens.
 */
export async function listenOnIpv6Loopback(
  handler: RequestListener,
  port: number,
  prepare: (server: Server) => void,
  warn: (message: string) => void,
): Promise<Server | undefined> {
  const server = createServer(handler);
  prepare(server);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') warn(`[::1]:${port} is taken by another program: listening on 127.0.0.1 only`);
      if (['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EADDRINUSE'].includes(error.code ?? '')) resolve(undefined);
      else reject(error);
    });
    server.listen(port, '::1', () => resolve(server));
  });
}
