import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lifeline, ROOT, type RunningCommand, startLifeline } from './support/cli.js';
import { until } from './support/tcp.js';

let running: RunningCommand | undefined;
let blocker: Server | undefined;
afterEach(() => {
  running?.child.kill('SIGKILL');
  blocker?.close();
  running = undefined;
  blocker = undefined;
});

const tempDir = () => mkdtempSync(join(tmpdir(), 'lifeline-serve-'));

const events = (command: RunningCommand) =>
  command.lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const post = (port: number, kind: string, body: string, key?: string) =>
  fetch(`http://127.0.0.1:${port}/ops/${kind}`, {
    method: 'POST',
    body,
    headers: key === undefined ? {} : { 'idempotency-key': key },
  }).then((response) => response.status);

describe('lifeline serve', () => {
  it('serves with --json: a listening event first, an event per operation, and exit 0 on Ctrl-C', async () => {
    const cwd = tempDir();
    running = startLifeline(['serve', '--port', '0', '--data', 'store', '--json'], { cwd });
    const command = running;
    await until(
      () => events(command).some((event) => event.event === 'listening'),
      20_000,
      'the server to listen',
    );
    const listening = events(command)[0] as { port: number; url: string; dataDir: string; database: string };
    expect(listening).toMatchObject({
      event: 'listening',
      url: `http://127.0.0.1:${listening.port}`,
      dataDir: join(cwd, 'store'),
      database: join(cwd, 'store', 'server.db'),
      synchronous: 'full',
    });
    expect(listening.port).toBeGreaterThan(0);

    expect(await post(listening.port, 'note', 'hello', 'k-1')).toBe(201);
    expect(await post(listening.port, 'note', 'hello', 'k-1')).toBe(201);
    await until(
      () => events(command).filter((event) => event.event === 'operation').length === 2,
      5000,
      'the reports',
    );
    expect(events(command).filter((event) => event.event === 'operation')).toEqual([
      {
        event: 'operation',
        at: expect.any(String),
        id: 1,
        kind: 'note',
        idempotencyKey: 'k-1',
        replayed: false,
      },
      {
        event: 'operation',
        at: expect.any(String),
        id: 1,
        kind: 'note',
        idempotencyKey: 'k-1',
        replayed: true,
      },
    ]);

    command.child.kill('SIGINT');
    expect(await command.exited).toBe(0);
    expect(events(command).slice(-2)).toMatchObject([
      { event: 'stopping' },
      { event: 'closed', operations: 1 },
    ]);
  });

  it('prints where it listens and where data lands, then a line per operation; --quiet drops those', async () => {
    const cwd = tempDir();
    running = startLifeline(['serve', '--port', '0', '--sync', 'normal'], { cwd });
    const command = running;
    await until(() => command.lines.some((line) => line.includes('Ctrl-C')), 20_000, 'the banner');
    const text = command.lines.join('\n');
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(command.lines).toContain(`  data:      ${join(cwd, 'lifeline-data')}`);
    expect(text).toContain(`database:  ${join(cwd, 'lifeline-data', 'server.db')} (synchronous normal`);

    expect(await post(port, 'reading', '42', 'r-1')).toBe(201);
    expect(await post(port, 'reading', '42', 'r-1')).toBe(201);
    expect(await post(port, 'ping', '')).toBe(201);
    await until(() => command.lines.some((line) => line.includes('ping')), 5000, 'the operation lines');
    const reported = command.lines
      .filter((line) => /^\d\d:\d\d:\d\d #/.test(line))
      .map((line) => line.slice(9));
    expect(reported).toEqual(['#1 reading  key r-1', '#1 reading  key r-1 replayed', '#2 ping  no key']);
    command.child.kill('SIGTERM');
    expect(await command.exited).toBe(0);
    expect(command.lines.slice(-2)).toEqual([
      'stopping: letting requests in flight finish…',
      `stopped; 2 operations in ${join(cwd, 'lifeline-data', 'server.db')}`,
    ]);

    running = startLifeline(['serve', '--port', '0', '--quiet', '--data', join(cwd, 'lifeline-data')]);
    const quiet = running;
    await until(() => quiet.lines.some((line) => line.includes('Ctrl-C')), 20_000, 'the banner');
    const quietPort = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(quiet.lines.join('\n'))?.[1]);
    expect(await post(quietPort, 'reading', '42', 'r-1')).toBe(201); // replayed from the earlier run
    quiet.child.kill('SIGINT');
    expect(await quiet.exited).toBe(0);
    expect(quiet.lines.filter((line) => line.includes('r-1'))).toEqual([]);
    expect(quiet.lines.at(-1)).toContain('stopped; 2 operations');
  });

  it('receives a tus upload while serving with --json: the banner names the uploads directory, an event per upload', async () => {
    const cwd = tempDir();
    running = startLifeline(['serve', '--port', '0', '--data', 'store', '--json'], { cwd });
    const command = running;
    await until(() => events(command).some((event) => event.event === 'listening'), 20_000, 'the server');
    const listening = events(command)[0] as { port: number; uploads: string; uploadsUrl: string };
    expect(listening).toMatchObject({
      uploads: join(cwd, 'store', 'files'),
      uploadsUrl: `http://127.0.0.1:${listening.port}/files/`,
      maxUploadBytes: 10 * 1024 ** 3,
      uploadExpirationMs: 24 * 3_600_000,
    });

    const file = Buffer.from('the notes, in full\n'.repeat(500));
    const sha256 = createHash('sha256').update(file).digest('hex');
    const metadata = [
      `filename ${Buffer.from('notes.txt').toString('base64')}`,
      `sha256 ${Buffer.from(sha256).toString('base64')}`,
    ];
    const created = await fetch(listening.uploadsUrl, {
      method: 'POST',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-length': String(file.length),
        'upload-metadata': metadata.join(','),
      },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location') as string, listening.uploadsUrl).href;
    for (const [from, to] of [
      [0, 4000],
      [4000, file.length],
    ] as const) {
      const sent = await fetch(location, {
        method: 'PATCH',
        headers: {
          'tus-resumable': '1.0.0',
          'content-type': 'application/offset+octet-stream',
          'upload-offset': String(from),
        },
        body: file.subarray(from, to),
      });
      expect(sent.status).toBe(204);
    }
    await until(() => events(command).some((event) => event.event === 'upload'), 5000, 'the upload event');
    const id = location.split('/').at(-1) as string;
    const path = join(cwd, 'store', 'files', id);
    expect(events(command).find((event) => event.event === 'upload')).toEqual({
      event: 'upload',
      at: expect.any(String),
      id,
      filename: 'notes.txt',
      size: file.length,
      sha256,
      verified: true,
      path,
    });
    expect(readFileSync(path).equals(file)).toBe(true);
    command.child.kill('SIGINT');
    expect(await command.exited).toBe(0);
  });

  it('takes the upload limits from --max-upload and --upload-expiry, and refuses a larger upload with 413', async () => {
    running = startLifeline(
      ['serve', '--port', '0', '--data', 'store', '--json', '--max-upload', '4KiB', '--upload-expiry', '2h'],
      { cwd: tempDir() },
    );
    const command = running;
    await until(() => events(command).some((event) => event.event === 'listening'), 20_000, 'the server');
    const listening = events(command)[0] as { uploadsUrl: string };
    expect(listening).toMatchObject({ maxUploadBytes: 4096, uploadExpirationMs: 2 * 3_600_000 });
    const create = (length: number) =>
      fetch(listening.uploadsUrl, {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length) },
      }).then((response) => response.status);
    expect(await create(4097)).toBe(413);
    expect(await create(4096)).toBe(201);
  });

  // The built command, as `npm i lifeline` users run it: its server thread starts from dist/, not through
  // tsx. CI builds before it tests; a checkout that has not built skips this.
  it.skipIf(!existsSync(join(ROOT, 'dist/cli/main.js')))(
    'the built command serves from its own thread and stops on Ctrl-C',
    async () => {
      const cwd = tempDir();
      const child = spawn(
        process.execPath,
        [join(ROOT, 'dist/cli/main.js'), 'serve', '--port', '0', '--json'],
        {
          cwd,
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
      });
      try {
        await until(() => output.includes('"listening"'), 20_000, 'the built server to listen');
        const { port } = JSON.parse(output.split('\n')[0] as string) as { port: number };
        expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
        expect(await post(port, 'note', 'built', 'k-dist')).toBe(201);
        child.kill('SIGINT');
        expect(await exited).toBe(0);
        expect(output).toContain('"event":"closed"');
        expect(output).toContain('"operations":1');
      } finally {
        child.kill('SIGKILL');
      }
    },
  );

  it('says which port is in use and exits 1', async () => {
    const server = createServer();
    blocker = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const dataDir = join(tempDir(), 'data');
    const result = lifeline(['serve', '--port', String(port), '--data', dataDir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`port ${port} is in use; choose another with --port`);
    expect(existsSync(dataDir)).toBe(false); // made for this start, removed when it could not listen
  });

  it('refuses bad arguments with exit code 2 and a hint', () => {
    const badPort = lifeline(['serve', '--port', 'eighty']);
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain(
      "--port: use a number from 0 to 65535 (0 picks a free port), not 'eighty'",
    );
    expect(badPort.stderr).toContain("Run 'lifeline serve --help' for usage.");
    const badSync = lifeline(['serve', '--sync', 'sometimes']);
    expect(badSync.status).toBe(2);
    expect(badSync.stderr).toContain("--sync: use full or normal, not 'sometimes'");
    const badLimit = lifeline(['serve', '--max-upload', 'lots']);
    expect(badLimit.status).toBe(2);
    expect(badLimit.stderr).toContain("--max-upload: cannot read 'lots'");
    const noExpiry = lifeline(['serve', '--upload-expiry', '0']);
    expect(noExpiry.status).toBe(2);
    expect(noExpiry.stderr).toContain('--upload-expiry: use a time of at least 1ms, like 30m or 24h (got 0)');
    const unknown = lifeline(['serve', '--prot', '8080']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--prot'");
    const help = lifeline(['serve', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: lifeline serve');
  });
});
