import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Read size while hashing: large enough that per-read overhead vanishes next to SHA-256 itself. */
const BLOCK_BYTES = 1024 * 1024;

/**
 * SHA-256 of a file (lowercase hex) and how many bytes it hashed. Reads in large blocks and hashes one
 * block while the next is read, so hashing and the disk overlap (a 64 KiB stream spends more time in
 * per-chunk overhead than in SHA-256 itself).
 */
export async function sha256File(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const blocks = [Buffer.allocUnsafe(BLOCK_BYTES), Buffer.allocUnsafe(BLOCK_BYTES)];
    let position = 0;
    let reading = handle.read(blocks[0] as Buffer, 0, BLOCK_BYTES, position);
    for (let turn = 0; ; turn ^= 1) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) break;
      position += bytesRead;
      reading = handle.read(blocks[turn ^ 1] as Buffer, 0, BLOCK_BYTES, position);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return { sha256: hash.digest('hex'), sizeBytes: position };
  } finally {
    await handle.close();
  }
}
