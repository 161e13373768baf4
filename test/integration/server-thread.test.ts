import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.js';
import {
  ListenError,
  type ServerEvents,
  type ServerThread,
  type ServerThreadOptions,
  startServerThread,
} from '../../src/server/index.js';

/** The embedded server on its own thread, as `lifeline serve` runs it: real sockets, a real SQLite file. */

const threads: ServerThread[] = [];
let blocker: Server | undefined;
afterEach(async () => {
  await Promise.all(threads.splice(0).map((thread) => thread.stop()));
  blocker?.close();
  blocker = undefined;
});

async function start(options: Partial<ServerThreadOptions> = {}): Promise<ServerThread> {
  const thread = await startServerThread({
    dataDir: mkdtempSync(join(tmpdir(), 'lifeline-thread-')),
    port: 0,
    synchronous: 'normal',
    ...options,
  });
  threads.push(thread);
  return thread;
}

function collect<K extends keyof ServerEvents>(
  thread: ServerThread,
  name: K & Parameters<ServerThread['on']>[0],
) {
  const events: unknown[] = [];
  thread.on(name, (event) => events.push(event));
  return events;
}

const post = (thread: ServerThread, key: string) =>
  fetch(`${thread.url}/ops/note`, { method: 'POST', body: 'hello', headers: { 'idempotency-key': key } });

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waitedMs = 0; !check(); waitedMs += 10) {
    if (waitedMs > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('startServerThread', () => {
  it('serves on its own thread, passes its events, lists uploads and stops with its totals', async () => {
    const thread = await start();
    expect(thread.info).toMatchObject({ host: '127.0.0.1', synchronous: 'normal', url: thread.url });
    expect(thread.info.databasePath).toBe(join(thread.info.dataDir, 'server.db'));
    const operations = collect(thread, 'operation');
    const uploads = collect(thread, 'upload');

    expect((await post(thread, 'k-1')).status).toBe(201);
    expect((await post(thread, 'k-1')).headers.get('idempotency-replayed')).toBe('true');
    await until(() => operations.length === 2, 'two operation events');
    expect(operations).toMatchObject([
      { kind: 'note', idempotencyKey: 'k-1', replayed: false },
      { kind: 'note', idempotencyKey: 'k-1', replayed: true },
    ]);

    const bytes = randomBytes(100_000);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const created = await fetch(`${thread.url}/files/`, {
      method: 'POST',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-length': String(bytes.length),
        'upload-metadata': `sha256 ${Buffer.from(sha256).toString('base64')}`,
      },
    });
    expect(created.status).toBe(201);
    const patched = await fetch(`${thread.url}${created.headers.get('location')}`, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes,
    });
    expect(patched.status).toBe(204);
    await until(() => uploads.length === 1, 'the upload event');
    const [listed] = await thread.uploads();
    expect(listed).toMatchObject({ size: bytes.length, sha256, verified: true });
    expect(readFileSync(listed?.path ?? '')).toEqual(bytes);

    const stopped = await thread.stop();
    expect(stopped).toEqual({ operations: 1, uploads: 1 });
    expect(await thread.stop()).toBe(stopped); // twice is safe
    await thread.ended;
    await expect(fetch(`${thread.url}/health`)).rejects.toThrow();
    await expect(thread.uploads()).rejects.toThrow('the server thread has stopped');
  });

  it('a thread that dies says so: ended, stop() and uploads() reject instead of waiting forever', async () => {
    const thread = await startServerThread({
      dataDir: mkdtempSync(join(tmpdir(), 'lifeline-thread-')),
      port: 0,
      synchronous: 'normal',
    });
    let settled: string | undefined;
    thread.uploads().then(
      () => {
        settled = 'answered';
      },
      () => {
        settled = 'refused';
      },
    );
    await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(thread.ended).rejects.toThrow('the server thread ended unexpectedly');
    // Asked just before the end: answered, or refused at the end (before `ended` rejects) — never left
    // waiting. No timer: by the time `ended` has rejected, the request has settled.
    expect(settled).toBeDefined();
    await expect(thread.uploads()).rejects.toThrow('ended unexpectedly');
    await expect(thread.stop()).rejects.toThrow('ended unexpectedly');
  });

  it('passes only the events asked for', async () => {
    const thread = await start({ events: ['error'] });
    const operations = collect(thread, 'operation');
    expect((await post(thread, 'k-2')).status).toBe(201);
    // The health answer comes after the operation's event would have: none came.
    expect((await fetch(`${thread.url}/health`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(operations).toEqual([]);
  });

  it('rejects with a ListenError carrying the code when the port is taken', async () => {
    blocker = createTcpServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const failure = await start({ port }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ListenError);
    expect(failure).toMatchObject({ code: 'EADDRINUSE', port, host: '127.0.0.1' });
    expect((failure as Error).message).toContain(`127.0.0.1:${port} is in use`);
  });

  it('rejects bad options with InvalidOptionError, as createServer does', async () => {
    const failure = await start({ synchronous: 'sometimes' as 'full' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidOptionError);
    expect((failure as Error).message).toContain("synchronous must be 'full' or 'normal'");
  });
});
