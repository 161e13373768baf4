import { describe, expect, it } from 'vitest';
import { parseHostPort, takeConfigOption, UsageError } from '../../../src/cli/command.js';
import { table } from '../../../src/cli/output.js';

describe('parseHostPort', () => {
  it('reads host:port, a bare port, and IPv6 in brackets', () => {
    expect(parseHostPort('127.0.0.1:8080', '--listen')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseHostPort('44227', '--listen')).toEqual({ host: '127.0.0.1', port: 44_227 });
    expect(parseHostPort('[::1]:9', '--listen')).toEqual({ host: '::1', port: 9 });
    expect(parseHostPort('example.com:443', '--to')).toEqual({ host: 'example.com', port: 443 });
  });

  it('refuses nonsense, naming the option', () => {
    expect(() => parseHostPort('localhost', '--upstream')).toThrow(UsageError);
    expect(() => parseHostPort('host:99999', '--upstream')).toThrow("--upstream: cannot read 'host:99999'");
  });
});

describe('takeConfigOption', () => {
  it('takes --config in either form, and nothing after --', () => {
    expect(takeConfigOption(['add', '--config', 'a.json', 'http://x/'])).toEqual({
      configPath: 'a.json',
      rest: ['add', 'http://x/'],
    });
    expect(takeConfigOption(['--config=b.json', 'status'])).toEqual({
      configPath: 'b.json',
      rest: ['status'],
    });
    expect(takeConfigOption(['add', '--', '--config', 'c'])).toEqual({
      configPath: undefined,
      rest: ['add', '--', '--config', 'c'],
    });
    expect(() => takeConfigOption(['status', '--config'])).toThrow(UsageError);
  });
});

describe('table', () => {
  it('aligns columns, ignoring colour codes', () => {
    expect(
      table([
        ['id', 'state'],
        ['\u001b[32m1\u001b[0m', 'ok'],
        ['1234', 'pending'],
      ]),
    ).toEqual(['id    state', '\u001b[32m1\u001b[0m     ok', '1234  pending']);
  });
});
