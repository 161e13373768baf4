import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.js';
import {
  createServer,
  type FinishedUpload,
  type LifelineServer,
  type ServerEvents,
} from '../../src/server/index.js';
import { startedServers } from './support/servers.js';
import { untilAsync } from './support/tcp.js';

/**
 * The tus 1.0 endpoint at /files/, spoken in raw requests over fetch — no tus client library — so these tests
 * pin the protocol as @tus/server answers it, not as a client papers over it.
 */

const { created: unstarted, started, tempDir } = startedServers('lifeline-tus-');

function collect<K extends keyof ServerEvents>(server: LifelineServer, name: K): Array<ServerEvents[K]> {
  const events: Array<ServerEvents[K]> = [];
  server.on(name, (event) => events.push(event));
  return events;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** `Upload-Metadata`: comma-separated `key base64(value)` pairs. */
const metadataHeader = (metadata: Record<string, string>) =>
  Object.entries(metadata)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');

function tus(url: string, method: string, headers: Record<string, string> = {}, body?: Uint8Array) {
  return fetch(url, { method, headers: { 'tus-resumable': '1.0.0', ...headers }, body });
}

function create(server: LifelineServer, length: number, metadata: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'upload-length': String(length) };
  if (Object.keys(metadata).length > 0) headers['upload-metadata'] = metadataHeader(metadata);
  return tus(`${server.url}/files/`, 'POST', headers);
}

function patch(server: LifelineServer, location: string, offset: number, bytes: Uint8Array) {
  return tus(
    `${server.url}${location}`,
    'PATCH',
    { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) },
    bytes,
  );
}

const head = (server: LifelineServer, location: string) => tus(`${server.url}${location}`, 'HEAD');

/** Creates an upload and returns its Location (relative: `/files/<id>`). */
async function created(server: LifelineServer, length: number, metadata: Record<string, string> = {}) {
  const response = await create(server, length, metadata);
  expect(response.status).toBe(201);
  return response.headers.get('location') as string;
}

/** Sends `bytes[from..]` in chunks of `chunk` bytes, checking each new offset. */
async function sendFrom(
  server: LifelineServer,
  location: string,
  bytes: Uint8Array,
  from: number,
  chunk: number,
) {
  let last: Response | undefined;
  for (let offset = from; offset < bytes.length; offset += chunk) {
    const end = Math.min(offset + chunk, bytes.length);
    last = await patch(server, location, offset, bytes.subarray(offset, end));
    if (end === bytes.length) return last;
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(end));
  }
  return last as Response;
}

const idOf = (location: string) => location.split('/').at(-1) as string;

describe('tus uploads at /files/', () => {
  it('OPTIONS advertises tus 1.0.0, the extensions @tus/file-store offers (no checksum), and the size limit', async () => {
    const server = await started({ maxUploadBytes: 5 * 1024 * 1024 });
    const options = await fetch(`${server.url}/files/`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('tus-resumable')).toBe('1.0.0');
    expect(options.headers.get('tus-version')).toBe('1.0.0');
    expect(options.headers.get('tus-extension')?.split(',')).toEqual([
      'creation',
      'creation-with-upload',
      'creation-defer-length',
      'termination',
      'expiration',
    ]);
    expect(options.headers.get('tus-max-size')).toBe(String(5 * 1024 * 1024));

    const byDefault = await started();
    expect(byDefault.maxUploadBytes).toBe(10 * 1024 ** 3);
    expect(byDefault.uploadExpirationMs).toBe(24 * 3_600_000);
    expect(byDefault.uploadsDirectory).toBe(join(byDefault.dataDir, 'files'));
    const advertised = await fetch(`${byDefault.url}/files`, { method: 'OPTIONS' });
    expect(advertised.headers.get('tus-max-size')).toBe(String(10 * 1024 ** 3));

    // Every other request must say which protocol version it speaks.
    const bare = await fetch(`${server.url}/files/`, { method: 'POST', headers: { 'upload-length': '1' } });
    expect(bare.status).toBe(412);
    // Only /files/<id> is an upload; deeper paths are not.
    expect((await tus(`${server.url}/files/a/b`, 'HEAD')).status).toBe(404);
  });

  it('receives a file in chunks byte for byte, refuses a wrong offset with 409, and records it', async () => {
    const server = await started({ uploadExpirationMs: 60 * 60 * 1000 });
    const uploads = collect(server, 'upload');
    const file = randomBytes(1_000_003);
    const before = Date.now();
    const response = await create(server, file.length, { filename: 'notes.pdf', sha256: sha256(file) });
    expect(response.status).toBe(201);
    // The Location is relative to the server (`/files/<id>`): clients resolve it against the creation URL.
    const location = response.headers.get('location') as string;
    expect(location).toMatch(/^\/files\/[0-9a-f]{32}$/);
    const expires = Date.parse(response.headers.get('upload-expires') as string);
    expect(expires).toBeGreaterThanOrEqual(before + 60 * 60 * 1000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60 * 60 * 1000);

    const fresh = await head(server, location);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('upload-offset')).toBe('0');
    expect(fresh.headers.get('upload-length')).toBe(String(file.length));
    expect(fresh.headers.get('cache-control')).toBe('no-store');

    const first = await patch(server, location, 0, file.subarray(0, 300_000));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe('300000');
    expect(first.headers.get('upload-expires')).not.toBeNull();

    const wrong = await patch(server, location, 200_000, file.subarray(200_000, 300_000));
    expect(wrong.status).toBe(409);
    expect((await head(server, location)).headers.get('upload-offset')).toBe('300000');

    const last = await sendFrom(server, location, file, 300_000, 256 * 1024);
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(file.length));

    const id = idOf(location);
    const path = join(server.uploadsDirectory, id);
    const stored = readFileSync(path);
    expect(sha256(stored)).toBe(sha256(file));
    expect(stored.equals(file)).toBe(true);
    const expected: FinishedUpload = {
      id,
      filename: 'notes.pdf',
      size: file.length,
      sha256: sha256(file),
      verified: true,
      finishedAt: expect.any(String),
      path,
      metadata: { filename: 'notes.pdf', sha256: sha256(file) },
    };
    expect(uploads).toEqual([expected]);
    expect(server.uploads()).toEqual([expected]);
    const finished = await head(server, location);
    expect(finished.headers.get('upload-offset')).toBe(String(file.length));
    // Finished uploads are kept: a client cannot terminate what was received.
    expect((await tus(`${server.url}${location}`, 'DELETE')).status).toBe(400);
    expect(existsSync(path)).toBe(true);
  });

  it('refuses the final PATCH with 460 naming both hashes when the bytes do not match sha256, and deletes them', async () => {
    const server = await started();
    const rejected = collect(server, 'upload-rejected');
    const uploads = collect(server, 'upload');
    const file = randomBytes(100_000);
    const claimed = sha256(Buffer.from('some other file'));
    const location = await created(server, file.length, { filename: 'photo.jpg', sha256: claimed });

    const last = await sendFrom(server, location, file, 0, 60_000);
    expect(last.status).toBe(460);
    const body = await last.text();
    expect(body).toContain('Checksum Mismatch');
    expect(body).toContain(`expected ${claimed}, got ${sha256(file)}`);

    expect(rejected).toEqual([
      {
        id: idOf(location),
        filename: 'photo.jpg',
        size: file.length,
        expected: claimed,
        actual: sha256(file),
      },
    ]);
    expect(uploads).toEqual([]);
    expect(server.uploads()).toEqual([]);
    expect((await head(server, location)).status).toBe(404);
    expect(existsSync(join(server.uploadsDirectory, idOf(location)))).toBe(false);
    expect(existsSync(join(server.uploadsDirectory, `${idOf(location)}.json`))).toBe(false);
  });

  it('checks uppercase hex too, refuses a sha256 that is not 64 hex digits at creation, and checks nothing without one', async () => {
    const server = await started();
    const uploads = collect(server, 'upload');
    const file = randomBytes(5000);

    const upper = await created(server, file.length, { sha256: sha256(file).toUpperCase() });
    expect((await patch(server, upper, 0, file)).status).toBe(204);

    const bad = await create(server, file.length, { sha256: 'abc123' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain(
      'Upload-Metadata sha256 must be the SHA-256 of the whole file as 64 hex digits',
    );

    // creation-with-upload: the whole file in the POST; no sha256, so nothing to verify, but it is hashed.
    const oneShot = await tus(
      `${server.url}/files/`,
      'POST',
      {
        'upload-length': String(file.length),
        'upload-metadata': metadataHeader({ filename: 'a.bin' }),
        'content-type': 'application/offset+octet-stream',
      },
      file,
    );
    expect(oneShot.status).toBe(201);
    expect(oneShot.headers.get('upload-offset')).toBe(String(file.length));
    expect(oneShot.headers.get('upload-expires')).toBeNull(); // finished: nothing left to expire

    expect(uploads.map(({ sha256: hash, verified, filename }) => ({ hash, verified, filename }))).toEqual([
      { hash: sha256(file), verified: true, filename: undefined },
      { hash: sha256(file), verified: false, filename: 'a.bin' },
    ]);
  });

  it('refuses upload options that are not positive whole numbers', () => {
    const dataDir = join(tempDir(), 'data');
    expect(() => createServer({ dataDir, maxUploadBytes: 0 })).toThrow(InvalidOptionError);
    expect(() => createServer({ dataDir, uploadExpirationMs: 1.5 })).toThrow(
      'createServer: uploadExpirationMs must be an integer ≥ 1, got 1.5',
    );
    expect(() => createServer({ dataDir, uploadSweepIntervalMs: -1 })).toThrow(InvalidOptionError);
  });

  it('refuses an Upload-Length over maxUploadBytes with 413', async () => {
    const server = await started({ maxUploadBytes: 1000 });
    expect((await create(server, 1000)).status).toBe(201);
    const tooLarge = await create(server, 1001);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toContain('Maximum size exceeded');
  });

  it('terminates an unfinished upload: DELETE → 204, then HEAD → 404', async () => {
    const server = await started();
    const location = await created(server, 10);
    expect((await patch(server, location, 0, new Uint8Array(4))).status).toBe(204);
    expect((await tus(`${server.url}${location}`, 'DELETE')).status).toBe(204);
    expect((await head(server, location)).status).toBe(404);
    expect((await patch(server, location, 4, new Uint8Array(6))).status).toBe(404);
    expect(existsSync(join(server.uploadsDirectory, idOf(location)))).toBe(false);
  });

  it('answers 410 for an expired unfinished upload until the sweep deletes it (then 404); finished uploads stay', async () => {
    // No sweep during the test: the 410 window is observed, then the sweep is run by hand.
    const server = await started({ uploadExpirationMs: 1000, uploadSweepIntervalMs: 60_000 });
    const expired = collect(server, 'upload-expired');
    const done = await created(server, 3);
    expect((await patch(server, done, 0, new Uint8Array([1, 2, 3]))).status).toBe(204);
    const location = await created(server, 100, { filename: 'late.txt' });
    expect((await patch(server, location, 0, new Uint8Array(40))).status).toBe(204);

    // @tus/server compares the creation date with the expiry on every HEAD and PATCH: 410 Gone.
    await untilAsync(async () => (await head(server, location)).status === 410, 5000, 'the upload to expire');
    expect((await patch(server, location, 40, new Uint8Array(60))).status).toBe(410);
    expect(existsSync(join(server.uploadsDirectory, idOf(location)))).toBe(true);

    expect(await server.removeExpiredUploads()).toEqual([idOf(location)]);
    expect((await head(server, location)).status).toBe(404);
    expect(existsSync(join(server.uploadsDirectory, idOf(location)))).toBe(false);
    expect(existsSync(join(server.uploadsDirectory, `${idOf(location)}.json`))).toBe(false);
    expect(expired).toEqual([{ id: idOf(location), filename: 'late.txt', offset: 40, size: 100 }]);

    // The finished upload is kept and listed, though tus, too, reports it 410 once past its expiry.
    expect(await server.removeExpiredUploads()).toEqual([]);
    expect(existsSync(join(server.uploadsDirectory, idOf(done)))).toBe(true);
    expect(server.uploads().map((upload) => upload.id)).toEqual([idOf(done)]);
    expect((await head(server, done)).status).toBe(410);
  });

  it('sweeps expired unfinished uploads by itself', async () => {
    const server = await started({ uploadExpirationMs: 300 });
    expect(server.uploadSweepIntervalMs).toBe(1000); // uploadExpirationMs, but at least 1 s
    const expired = collect(server, 'upload-expired');
    const location = await created(server, 100);
    await untilAsync(async () => (await head(server, location)).status === 404, 5000, 'the sweep');
    expect(expired.map((event) => event.id)).toEqual([idOf(location)]);
  });

  it('resumes across a restart on the same data directory, and still lists what finished before', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await started({ dataDir });
    const file = randomBytes(200_000);
    const small = randomBytes(10);
    const smallLocation = await created(first, small.length, { filename: 'small.bin' });
    expect((await patch(first, smallLocation, 0, small)).status).toBe(204);
    const location = await created(first, file.length, { filename: 'big.bin', sha256: sha256(file) });
    expect((await patch(first, location, 0, file.subarray(0, 120_000))).status).toBe(204);
    await first.stop();

    const second = await started({ dataDir });
    expect(second.uploads().map((upload) => upload.filename)).toEqual(['small.bin']);
    const resumed = await head(second, location);
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get('upload-offset')).toBe('120000');
    expect(resumed.headers.get('upload-metadata')).toBe(
      metadataHeader({ filename: 'big.bin', sha256: sha256(file) }),
    );
    const last = await sendFrom(second, location, file, 120_000, 50_000);
    expect(last.status).toBe(204);
    expect(readFileSync(join(second.uploadsDirectory, idOf(location))).equals(file)).toBe(true);
    expect(second.uploads().map((upload) => [upload.filename, upload.verified])).toEqual([
      ['small.bin', false],
      ['big.bin', true],
    ]);
  });

  it('at start, checks and records an upload that a crash left complete on disk but unrecorded', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await started({ dataDir });
    const intact = randomBytes(3000);
    const corrupt = randomBytes(3000);
    const intactLocation = await created(first, intact.length, {
      filename: 'ok.bin',
      sha256: sha256(intact),
    });
    const corruptLocation = await created(first, corrupt.length, {
      filename: 'bad.bin',
      sha256: sha256(intact),
    });
    expect((await patch(first, intactLocation, 0, intact)).status).toBe(204);
    expect((await patch(first, corruptLocation, 0, corrupt.subarray(0, 1000))).status).toBe(204);
    await first.stop();
    // As if the process died after the last bytes reached the disk, before they were checked and recorded.
    writeFileSync(join(dataDir, 'uploads.jsonl'), '{"id":"torn');
    writeFileSync(join(first.uploadsDirectory, idOf(corruptLocation)), corrupt);

    const second = unstarted({ dataDir });
    const recorded = collect(second, 'upload');
    const rejected = collect(second, 'upload-rejected');
    await second.start();
    expect(recorded.map((upload) => [upload.id, upload.sha256, upload.verified])).toEqual([
      [idOf(intactLocation), sha256(intact), true],
    ]);
    expect(second.uploads().map((upload) => upload.id)).toEqual([idOf(intactLocation)]);
    expect(rejected.map((event) => event.id)).toEqual([idOf(corruptLocation)]);
    expect((await head(second, corruptLocation)).status).toBe(404);
  });
});
