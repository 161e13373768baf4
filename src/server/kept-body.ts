import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What the body stream buffers before it pauses the socket. Generous on purpose: bytes this process has
 * read are kept when the connection drops, while bytes still in the kernel's queues (ours and the
 * sender's) are lost with it. A reader that paused at 64 KB, as Node's own adapter does, kept those
 * queues full — megabytes on loopback — whenever the disk writer lagged for a moment, and every reset
 * then cost the client all of them again. Bounded, so a slow disk still pushes back on the sender.
 */
const BODY_BUFFER_BYTES = 8 * 1024 * 1024;

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
export function keptBodyRequest(req: IncomingMessage): { request: Request; release(): void } {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const body = keptBody(req);
  const init: RequestInit & { duplex: 'half' } = {
    method: req.method ?? 'GET',
    headers,
    body: body.stream,
    duplex: 'half',
  };
  return { request: new Request(new URL(req.url ?? '/', 'http://localhost'), init), release: body.release };
}

/**
 * The request's bytes as a stream that closes on end, error or close alike. `release()`, once the answer
 * is sent: a body the handler did not read to the end (an early 400 or 412) is drained unread, as Node
 * does for a request nobody read, so the connection can carry the next request.
 */
function keptBody(req: IncomingMessage): { stream: ReadableStream<Uint8Array>; release(): void } {
  let closed = false;
  const release = () => {
    closed = true;
    if (!req.complete) req.resume();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const enqueue = (chunk: Buffer) =>
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        const finish = () => {
          if (closed) return;
          closed = true; // from here the 'data' listener ignores what read() may emit
          // What the request buffered while paused arrived too. read() still returns it after a reset,
          // but no longer emits it as 'data' once the error was emitted: take it here.
          for (let chunk = req.read() as Buffer | null; chunk !== null; chunk = req.read() as Buffer | null)
            enqueue(chunk);
          controller.close();
        };
        req.on('data', (chunk: Buffer) => {
          if (closed) return;
          enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.on('end', finish);
        req.on('error', finish); // a reset: keep what arrived (the listener stays, so no error goes unheard)
        req.on('close', finish);
        req.pause();
      },
      pull() {
        req.resume();
      },
      // The handler stopped reading (a refusal, a size limit): the rest drains unread.
      cancel: release,
    },
    new ByteLengthQueuingStrategy({ highWaterMark: BODY_BUFFER_BYTES }),
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
