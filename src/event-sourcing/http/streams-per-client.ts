import { HttpException, HttpStatus } from '@nestjs/common';

/** Seconds a client refused another stream is told to wait. */
export const STREAM_RETRY_AFTER_SECONDS = 10;

/** A client has as many streams open as it may (429, `urn:chronicle:problem:too-many-streams`). */
export class TooManyStreamsError extends HttpException {
  constructor(max: number) {
    super(
      `At most ${max} open streams per client address; close one, or retry in ${STREAM_RETRY_AFTER_SECONDS} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** Open streams counted by client address, each at most `max` (0: no cap). */
export class StreamsPerClient {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more stream of `client`, or throws {@link TooManyStreamsError}; call the returned function when it ends. */
  take(client: string): () => void {
    const count = this.open.get(client) ?? 0;
    if (this.max > 0 && count >= this.max) throw new TooManyStreamsError(this.max);
    this.open.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.open.get(client)! - 1;
      if (left === 0) this.open.delete(client);
      else this.open.set(client, left);
    };
  }
}
