import { describe, expect, it } from 'vitest';
import { classify, TimeoutError } from '../../../src/index.js';
import { isLinkFailure } from '../../../src/network/index.js';
import { permanentError, transientError } from '../../helpers.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });
const link = (error: unknown) => isLinkFailure(classify(error));

describe('isLinkFailure', () => {
  it('accepts offline failures and connection errors', () => {
    expect(link(withCode('ENETUNREACH'))).toBe(true);
    expect(link(withCode('ENOTFOUND'))).toBe(true);
    expect(link(transientError())).toBe(true); // ECONNRESET
    expect(link(withCode('ECONNREFUSED'))).toBe(true);
    expect(link(withCode('UND_ERR_CONNECT_TIMEOUT'))).toBe(true);
    expect(link(new TypeError('fetch failed', { cause: withCode('UND_ERR_SOCKET') }))).toBe(true);
    expect(link(new TypeError('Failed to fetch'))).toBe(true); // a browser gives nothing more
  });

  it('refuses answers, cancellations, our own timeouts and unknown errors', () => {
    expect(link(new Response(null, { status: 503 }))).toBe(false);
    expect(link(new Response(null, { status: 504 }))).toBe(false);
    expect(link(permanentError())).toBe(false);
    expect(link(new TimeoutError(1000))).toBe(false);
    expect(link(new DOMException('stop', 'AbortError'))).toBe(false);
    expect(link(new Error('bug'))).toBe(false);
  });
});
