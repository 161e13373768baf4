import { describe, expect, it } from 'vitest';
import { fallback } from '../../../src/index.js';
import { permanentError, transientError } from '../../helpers.js';

describe('fallback', () => {
  it('returns a substitute value on failure and the real value otherwise', async () => {
    const policy = fallback('cached');
    await expect(policy.execute(() => Promise.reject(transientError()))).resolves.toBe('cached');
    await expect(policy.execute(async () => 'fresh')).resolves.toBe('fresh');
  });

  it('computes the substitute from the failure, possibly asynchronously', async () => {
    const policy = fallback(async (failure) => `offline copy (${failure.message})`);
    await expect(policy.execute(() => Promise.reject(transientError()))).resolves.toBe(
      'offline copy (connection reset)',
    );
  });

  it('does not cover cancellations, nor what shouldHandle excludes', async () => {
    await expect(
      fallback('x').execute(() => Promise.reject(new DOMException('stop', 'AbortError'))),
    ).rejects.toThrow('stop');
    const onlyTransient = fallback('x', { shouldHandle: (failure) => failure.kind === 'transient' });
    await expect(onlyTransient.execute(() => Promise.reject(permanentError()))).rejects.toMatchObject({
      status: 404,
    });
  });

  it('reports a fallback that itself fails', async () => {
    const policy = fallback(() => {
      throw new Error('no cache either');
    });
    await expect(policy.execute(() => Promise.reject(transientError()))).rejects.toThrow('no cache either');
  });

  it('emits a fallback event', async () => {
    const policy = fallback(0);
    const kinds: string[] = [];
    policy.on('fallback', (event) => kinds.push(event.failure.kind));
    await policy.execute(() => Promise.reject(transientError()));
    expect(kinds).toEqual(['transient']);
  });
});
