import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lifeline, lifelineAsync, type RunningCommand, startLifeline } from './support/cli.js';
import { echoServer, type TestServer, until } from './support/tcp.js';

let running: RunningCommand | undefined;
let upstream: TestServer | undefined;
afterEach(async () => {
  running?.child.kill('SIGKILL');
  await upstream?.close();
  running = undefined;
  upstream = undefined;
});

const events = (command: RunningCommand) =>
  command.lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('lifeline chaos', () => {
  it('proxies with the faults it was given, reports them, and prints totals on Ctrl-C', async () => {
    upstream = await echoServer();
    running = startLifeline([
      'chaos',
      '--listen',
      '127.0.0.1:0',
      '--upstream',
      `127.0.0.1:${upstream.port}`,
      '--reset-rate',
      '1',
      '--seed',
      '3',
      '--json',
    ]);
    const command = running;
    await until(
      () => events(command).some((event) => event.event === 'listening'),
      20_000,
      'the proxy to listen',
    );
    const { port, toxics } = events(command)[0] as { port: number; toxics: string[] };
    expect(toxics).toEqual(['reset at once, both ways, 100% of connections']);

    const code = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.on('close', () => resolve('close'));
      socket.write('hello');
    });
    expect(code).toBe('ECONNRESET');
    await until(() => events(command).some((event) => event.event === 'fault'), 5000, 'the fault report');

    command.child.kill('SIGINT');
    expect(await command.exited).toBe(0);
    expect(events(command).at(-1)).toMatchObject({
      event: 'totals',
      connectionsAccepted: 1,
      resetsInjected: 1,
    });
    expect(upstream.accepted).toBe(0);
  });

  it('prints what it does for a person', async () => {
    upstream = await echoServer();
    running = startLifeline([
      'chaos',
      '--listen',
      '0',
      '--upstream',
      String(upstream.port),
      '--latency',
      '500',
      '--jitter',
      '100',
      '--bandwidth',
      '256KB/s',
      '--outage',
      '2s-5s',
    ]);
    const command = running;
    await until(() => command.lines.some((line) => line.includes('Ctrl-C')), 20_000, 'the banner');
    expect(command.lines.join('\n')).toMatch(/chaos proxy 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);
    expect(command.lines).toContain('  latency 500ms ± 100ms, both ways, 100% of connections');
    expect(command.lines).toContain('  bandwidth 256.0 KB/s, both ways, 100% of connections');
    expect(command.lines).toContain('  outage from t=2s to t=5s');
  });

  it('says when the address to listen on is taken, instead of a raw EADDRINUSE (exit 2)', async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const busy = await lifelineAsync(['chaos', '--upstream', '8080', '--listen', `127.0.0.1:${port}`]);
      expect(busy.status).toBe(2);
      expect(busy.stderr).toContain(
        `--listen: 127.0.0.1:${port} is in use (another proxy?); pick another address`,
      );
    } finally {
      taken.close();
    }
  });

  it('names a fault once: "#1 reset", not "#1 reset (reset)"', async () => {
    upstream = await echoServer();
    running = startLifeline([
      'chaos',
      '--upstream',
      `127.0.0.1:${upstream.port}`,
      '--listen',
      '127.0.0.1:0',
      '--reset-rate',
      '1',
    ]);
    const command = running;
    await until(() => command.lines.some((line) => line.includes('Ctrl-C')), 20_000, 'the banner');
    const port = Number(/chaos proxy 127\.0\.0\.1:(\d+)/.exec(command.lines.join('\n'))?.[1]);
    await new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
    await until(() => command.lines.some((line) => /#1 reset$/.test(line)), 5000, 'the fault line');
    expect(command.lines.join('\n')).not.toContain('(reset)');
  });

  it('refuses bad arguments with a clear message and exit code 2', () => {
    const missing = lifeline(['chaos']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--upstream is required');
    const badRate = lifeline(['chaos', '--upstream', '8080', '--bandwidth', '12XB/s']);
    expect(badRate.status).toBe(2);
    expect(badRate.stderr).toContain("--bandwidth: cannot read '12XB/s'");
    const badShare = lifeline(['chaos', '--upstream', '8080', '--reset-rate', '1.5']);
    expect(badShare.stderr).toContain('--reset-rate: use a share between 0 and 1');
    const unknown = lifeline(['chaos', '--upstream', '8080', '--latancy', '5']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--latancy'");
    const noWindow = lifeline(['chaos', '--upstream', '8080', '--outage', '5s']);
    expect(noWindow.status).toBe(2);
    expect(noWindow.stderr).toContain("--outage: give a window <from>-<to>, as in 2s-5s (got '5s')");
    const lonelyDelay = lifeline(['chaos', '--upstream', '8080', '--slice-delay', '5']);
    expect(lonelyDelay.status).toBe(2);
    expect(lonelyDelay.stderr).toContain('--slice-delay goes with --slice');
  });
});
