/**
 * bench/upload helpers: a random file on disk, lifeline's server in a child process, and one upload by
 * each client — lifeline's ResumableUpload (on either transport) and tus-js-client — timed from the call
 * to completion.
 */
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tus from 'tus-js-client';
import { FileSource } from '../src/node/file-source.js';
import { sha256File } from '../src/node/sha256-file.js';
import { undiciTusTransport } from '../src/node/undici-tus-transport.js';
import type { Backoff } from '../src/policy/backoff.js';
import { LinkHistory } from '../src/transfer/link-history.js';
import { ResumableUpload } from '../src/transfer/resumable-upload.js';
import { fetchTransport, type TusTransport } from '../src/transfer/tus-transport.js';
import type { ServerReply, ServerRequest } from './upload-server.js';

export const MiB = 1024 * 1024;

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** A file of random bytes (incompressible, so no layer can cheat) and its SHA-256. */
export function randomFile(size: number): { path: string; sha256: string; remove(): void } {
  const dir = tempDir('lifeline-bench-file-');
  const path = join(dir, 'payload.bin');
  const hash = createHash('sha256');
  const block = 16 * MiB;
  const parts: Buffer[] = [];
  for (let at = 0; at < size; at += block) {
    const part = randomBytes(Math.min(block, size - at));
    hash.update(part);
    parts.push(part);
  }
  writeFileSync(path, Buffer.concat(parts));
  return { path, sha256: hash.digest('hex'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * lifeline's embedded server (`createServer({ dataDir, port: 0, synchronous: 'normal' })`) in a child
 * process (upload-server.ts). `clear()` deletes received files between runs; `uploads()` lists what the
 * server recorded.
 */
export type BenchRig = Awaited<ReturnType<typeof benchServer>>;

export async function benchServer(kind: 'lifeline' | 'stock' = 'lifeline'): Promise<{
  port: number;
  /** The server process, to pin to a CPU (cpu-pinning.ts). */
  pid: number;
  endpoint: string;
  clear(): Promise<void>;
  uploads(): Promise<Array<{ sha256: string; verified: boolean }>>;
  close(): Promise<void>;
}> {
  const child = fork(fileURLToPath(new URL('./upload-server.js', import.meta.url)), [kind], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (reply: ServerReply) => void>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it was ready`)));
    child.on('message', (reply: ServerReply) => {
      if (reply.type === 'ready') resolve(reply.port);
      else waiting.get(reply.id)?.(reply);
    });
  });
  const ask = (type: ServerRequest['type']) =>
    new Promise<ServerReply>((resolve) => {
      const id = nextId++;
      waiting.set(id, (reply) => {
        waiting.delete(id);
        resolve(reply);
      });
      child.send({ id, type } satisfies ServerRequest);
    });
  return {
    port,
    pid: child.pid as number,
    endpoint: `http://127.0.0.1:${port}/files/`,
    clear: async () => {
      await ask('clear');
    },
    uploads: async () => {
      const reply = await ask('uploads');
      return 'uploads' in reply ? (reply.uploads ?? []) : [];
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask('stop');
      await exited;
    },
  };
}

export type Transport = 'undici' | 'fetch';

export interface LifelineRun {
  path: string;
  endpoint: string;
  chunkSize: number;
  transport: Transport;
  /** Hash the file before the clock starts (lifeline caches the digest per FileSource). */
  preHashed: boolean;
  backoff?: Backoff;
  maxAttempts?: number;
  /**
   * Shared between runs, as the uploads of one process share one by default; without it, a run learns
   * alone (a fresh history), as in a new process.
   */
  linkHistory?: LinkHistory;
}

export interface RunResult {
  ms: number;
  /** HTTP requests the client made (each carries headers the proxy counts). */
  requests: number;
  /** What the client itself counts as sent (lifeline only). */
  bytesSent?: number;
}

/** One lifeline upload; a fresh transport each run, closed afterwards. */
export async function lifelineUpload(run: LifelineRun): Promise<RunResult> {
  const undici = run.transport === 'undici' ? undiciTusTransport() : undefined;
  const inner: TusTransport = undici ? undici.transport : fetchTransport();
  let requests = 0;
  const transport: TusTransport = (request) => {
    requests++;
    return inner(request);
  };
  try {
    const preOpened = run.preHashed ? await FileSource.open(run.path) : undefined;
    if (preOpened) await preOpened.sha256();
    const started = performance.now();
    const source = preOpened ?? (await FileSource.open(run.path));
    try {
      const upload = new ResumableUpload({
        source,
        endpoint: run.endpoint,
        chunkSizeBytes: run.chunkSize,
        transport,
        ...(run.backoff ? { backoff: run.backoff } : {}),
        ...(run.maxAttempts ? { maxAttempts: run.maxAttempts } : {}),
        // Alone unless told: the process's shared history would carry one run's lessons into the next.
        linkHistory: run.linkHistory ?? new LinkHistory(),
      });
      const result = await upload.start();
      return { ms: performance.now() - started, requests, bytesSent: result.bytesSent };
    } finally {
      await source.close();
    }
  } finally {
    await undici?.close();
  }
}

export interface TusJsRun {
  path: string;
  sha256: string;
  endpoint: string;
  chunkSize: number;
  retryDelays?: number[];
}

/**
 * tus-js-client with the SHA-256 computed in its clock, as its caller must to have the server check the
 * file: the same helper lifeline uses (Node's crypto, reading 1 MiB blocks), then the upload.
 */
export async function tusJsUploadHashing(run: Omit<TusJsRun, 'sha256'>): Promise<RunResult> {
  const started = performance.now();
  const { sha256 } = await sha256File(run.path);
  const result = await tusJsUpload({ ...run, sha256 });
  return { ...result, ms: performance.now() - started };
}

/**
 * One tus-js-client upload from an fs.ReadStream (its Node file source: each chunk is read with its own
 * ranged stream). It gets the same metadata as lifeline sends — the SHA-256 computed beforehand, outside
 * the clock — so the server does the same verification for both.
 */
export function tusJsUpload(run: TusJsRun): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let requests = 0;
    const stream = createReadStream(run.path);
    const started = performance.now();
    const upload = new tus.Upload(stream, {
      endpoint: run.endpoint,
      chunkSize: run.chunkSize,
      retryDelays: run.retryDelays ?? [],
      metadata: { filename: 'payload.bin', sha256: run.sha256 },
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: true,
      onBeforeRequest: () => {
        requests++;
      },
      onSuccess: () => {
        stream.destroy();
        resolve({ ms: performance.now() - started, requests });
      },
      onError: (error) => {
        stream.destroy();
        reject(error);
      },
    });
    upload.start();
  });
}
