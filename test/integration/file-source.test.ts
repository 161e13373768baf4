import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource, SourceChangedError, SourceMissingError } from '../../src/node/file-source.js';
import { tempDir } from './support/queue-fixtures.js';

function fileOf(size: number) {
  const bytes = randomBytes(size);
  const path = join(tempDir('lifeline-source-'), 'data.bin');
  writeFileSync(path, bytes);
  return { path, bytes };
}

describe('FileSource on a real file', () => {
  it('hashes a file of several blocks (and a partial last one) to its SHA-256', async () => {
    const { path, bytes } = fileOf(2.5 * 1024 * 1024 + 17);
    const source = await FileSource.open(path);
    expect(await source.sha256()).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('reads a slice into the buffer it is given', async () => {
    const { path, bytes } = fileOf(100_000);
    const source = await FileSource.open(path);
    const into = new Uint8Array(50_000);
    const slice = await source.slice(1000, 41_000, into);
    expect(slice.buffer).toBe(into.buffer);
    expect(Buffer.from(slice).equals(bytes.subarray(1000, 41_000))).toBe(true);
    await source.close();
  });

  it('refuses to read or hash a file that changed or vanished since it was opened', async () => {
    const { path } = fileOf(10_000);
    const source = await FileSource.open(path);
    appendFileSync(path, 'more');
    await expect(source.slice(0, 100, new Uint8Array(100))).rejects.toBeInstanceOf(SourceChangedError);
    await expect(source.sha256()).rejects.toBeInstanceOf(SourceChangedError);
    rmSync(path);
    await expect(source.slice(0, 100)).rejects.toBeInstanceOf(SourceMissingError);
    await source.close();
  });

  it('says how a file changed, and names a vanished one once', async () => {
    const { path } = fileOf(1000);
    const source = await FileSource.open(path);
    appendFileSync(path, 'more');
    await expect(source.verify()).rejects.toThrow(
      `${path} changed while it was being uploaded (its size changed from 1000 to 1004 bytes)`,
    );
    const touched = await FileSource.open(path);
    utimesSync(path, new Date(), new Date(Date.now() + 60_000)); // the same size, another modification time
    await expect(touched.verify()).rejects.toThrow(
      `${path} changed while it was being uploaded (its modification time changed)`,
    );
    rmSync(path);
    const error = await touched.verify().catch((caught: Error) => caught);
    expect(String((error as Error).message)).toBe(`${path} does not exist, so it cannot be uploaded`);
    await Promise.all([source.close(), touched.close()]);
  });
});
