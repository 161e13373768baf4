import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/core/errors.js';
import { uploadOperation } from '../../../src/node/upload-operation.js';

describe('uploadOperation', () => {
  it('takes an absolute http(s) tus endpoint, normalised, and an absolute path', () => {
    expect(uploadOperation('notes.txt', 'HTTP://Example.com:80/files/')).toMatchObject({
      endpoint: 'http://example.com/files/',
      path: expect.stringMatching(/^\/.*notes\.txt$/),
    });
  });

  it('refuses an endpoint that is not an http(s) URL, saying what it must be', () => {
    for (const endpoint of ['ftp://host/files/', 'nope', '/files/']) {
      expect(() => uploadOperation('a.txt', endpoint)).toThrow(InvalidOptionError);
      expect(() => uploadOperation('a.txt', endpoint)).toThrow(
        `upload: endpoint must be the http(s) URL of a tus endpoint, like http://127.0.0.1:8080/files/; got '${endpoint}'`,
      );
    }
  });
});
