import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadAheadBudget } from './read-ahead-budget.js';

/**
 * A request as a web `Request` whose body *ends*, rather than fails, when the connection drops: every byte
 * that arrived before the drop reaches the handler. tus 1.0 asks this of a server ("The Server SHOULD
 * always attempt to store as much of the received data as possible"): the bytes are a true prefix of what
 * the client sent (TCP delivers them in order or not at all), and the client resumes from the offset it
 * then reads with HEAD.
 *
 * Why not @tus/server's own node adapter: it turns a reset into a stream error, and the bytes its streams
 * hold at that moment (about 100–200 KB under load, measured) are dropped — sent again after every dropped
 * connection, which on a satellite link is often.
 */
export function keptBodyRequest(
  req: IncomingMessage,
  budget: ReadAheadBudget,
): { request: Request; release(): void } {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const body = keptBody(req, budget);
  const init: RequestInit & { duplex: 'half' } = {
    method: req.method ?? 'GET',
    headers,
    body: body.stream,
    duplex: 'half',
  };
  return { request: new Request(new URL(req.url ?? '/', 'http://localhost'), init), release: body.release };
}

/**
 * The request's bytes as a stream that closes on end, error or close alike. It reads ahead of the handler
 * as far as `budget` allows, because bytes this process has read are kept when the connection drops,
 * while bytes still in the kernel's queues (ours and the sender's) are lost with it: a reader that paused
 * at 64 KB, as Node's own adapter does, kept those queues full — megabytes on loopback — whenever the disk
 * writer lagged for a moment, and every reset then cost the client all of them again.
 *
 * The bytes read ahead wait in `held`, not in the stream's queue (its high-water mark is 0), so the budget
 * knows exactly when the handler takes them, also after the connection is gone. `release()`, once the
 * answer is sent: what the handler did not read (an early 400 or 412) is dropped and the rest drained
 * unread, as Node does for a request nobody read, so the connection can carry the next request.
 */
function keptBody(
  req: IncomingMessage,
  budget: ReadAheadBudget,
): { stream: ReadableStream<Uint8Array>; release(): void } {
  const held: Buffer[] = [];
  let heldBytes = 0;
  let ended = false; // no more bytes will come: end, reset or close
  let released = false; // the handler is done with the body
  let readWaiting = false; // the handler asked for bytes and none were held
  let paused = true;
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  const setHeld = (bytes: number) => {
    budget.change(heldBytes, bytes);
    heldBytes = bytes;
  };
  /** Reads on while the budget allows; otherwise pauses, and waits for the budget if others hold it. */
  const readIfAllowed = () => {
    if (ended || released) return;
    if (budget.mayRead(heldBytes)) {
      budget.stopWaiting(readIfAllowed);
      if (paused) req.resume();
      paused = false;
      return;
    }
    if (!paused) req.pause();
    paused = true;
    if (heldBytes < budget.perBodyBytes) budget.wait(readIfAllowed);
  };
  /** The handler wants bytes: the oldest held, or the end, or (none yet) the next to arrive. */
  const deliver = () => {
    const chunk = held.shift();
    readWaiting = false;
    if (chunk) {
      setHeld(heldBytes - chunk.length);
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } else if (ended) controller.close();
    else readWaiting = true;
    readIfAllowed();
  };
  const hold = (chunk: Buffer) => {
    held.push(chunk);
    setHeld(heldBytes + chunk.length);
    if (readWaiting)
      deliver(); // which decides whether to read on
    else readIfAllowed();
  };
  const finish = () => {
    if (ended) return;
    ended = true;
    budget.stopWaiting(readIfAllowed);
    if (released) return;
    // What the request buffered while paused arrived too. read() still returns it after a reset, but no
    // longer emits it as 'data' once the error was emitted: take it here.
    for (let chunk = req.read() as Buffer | null; chunk !== null; chunk = req.read() as Buffer | null)
      hold(chunk);
    if (readWaiting) deliver();
  };
  const release = () => {
    if (released) return;
    released = true;
    budget.stopWaiting(readIfAllowed);
    held.length = 0;
    setHeld(0);
    if (!req.complete) req.resume();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(streamController) {
        controller = streamController;
        req.on('data', (chunk: Buffer) => {
          if (released || ended) return; // drained unread, or read() emitting what finish() took
          hold(chunk);
        });
        req.on('end', finish);
        req.on('error', finish); // a reset: keep what arrived (the listener stays, so no error goes unheard)
        req.on('close', finish);
        req.pause();
        readIfAllowed(); // read ahead from the start: the handler may first wait for a lock
      },
      pull: deliver,
      // The handler stopped reading (a refusal, a size limit): the rest drains unread.
      cancel: release,
    },
    { highWaterMark: 0 },
  );
  return { stream, release };
}

/** Writes a web `Response` to the Node response, unless the client has gone. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  if (res.destroyed || res.headersSent) return;
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(body);
}
