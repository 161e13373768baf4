import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../../src/server/index.js';
import { lifelineAsync, type RunningCommand, startLifeline } from './support/cli.js';
import { tempDir } from './support/queue-fixtures.js';
import { closedPort, sleep, until } from './support/tcp.js';
import { sha256 } from './support/upload-fixtures.js';

let watcher: RunningCommand | undefined;
let server: LifelineServer | undefined;
afterEach(async () => {
  watcher?.child.kill('SIGKILL');
  await server?.stop();
});

const events = (command: RunningCommand) =>
  command.lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('lifeline watch', () => {
  it('uploads each file of a burst once, waits for growing files, and uploads nothing twice after a restart', async () => {
    server = createServer({ dataDir: tempDir('lifeline-watch-server-'), port: 0, synchronous: 'normal' });
    await server.start();
    const running = server;
    const cwd = tempDir('lifeline-watch-cwd-');
    writeFileSync(
      join(cwd, 'lifeline.config.json'),
      JSON.stringify({ server: server.url, queue: { synchronous: 'normal' } }),
    );
    const env = { LIFELINE_HOME: tempDir('lifeline-watch-home-') };
    const dir = tempDir('lifeline-outbox-');
    const args = ['watch', dir, '--settle', '400ms', '--interval', '100ms', '--json'];
    const start = async () => {
      watcher = startLifeline(args, { cwd, env });
      const command = watcher;
      await until(
        () => events(command).some((event) => event.event === 'watching'),
        20_000,
        'watch to start',
      );
      return command;
    };

    await start();
    const contents = new Map<string, string>();
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      contents.set(name, text);
    };
    for (let i = 0; i < 5; i++) write(`first-${i}.txt`, `first burst, file ${i}\n`.repeat(100));
    write('.hidden', 'never sent');
    write('growing.log', 'line 1\n');
    for (let i = 2; i <= 4; i++) {
      await sleep(150);
      appendFileSync(join(dir, 'growing.log'), `line ${i}\n`);
      contents.set('growing.log', `${contents.get('growing.log')}line ${i}\n`);
    }
    await sleep(500);
    for (let i = 0; i < 5; i++) write(`second-${i}.txt`, `second burst, file ${i}\n`.repeat(100));
    await until(() => running.uploads().length >= 11, 30_000, '11 uploads').catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${watcher?.lines.join('\n')}\n${watcher?.stderr()}`);
    });
    await sleep(1000);

    const uploads = running.uploads();
    expect(uploads.map((upload) => upload.filename).sort()).toEqual(
      [...contents.keys()].filter((name) => name !== '.hidden').sort(),
    );
    for (const upload of uploads)
      expect(upload.sha256).toBe(sha256(Buffer.from(contents.get(upload.filename ?? '') ?? '')));

    watcher?.child.kill('SIGINT');
    expect(await watcher?.exited).toBe(0);
    await start();
    await sleep(1500);
    expect(running.uploads()).toHaveLength(11); // nothing sent twice after the restart
    write('first-0.txt', 'changed after the restart');
    await until(() => running.uploads().length === 12, 10_000, 'the changed file');
    expect(running.uploads().at(-1)?.sha256).toBe(sha256(Buffer.from('changed after the restart')));
  }, 90_000);

  it('refuses an endpoint that is not an http(s) URL, and a polling interval under 100 ms', async () => {
    const directory = tempDir('lifeline-watched-');
    const env = { LIFELINE_HOME: tempDir('lifeline-home-') };
    const badEndpoint = await lifelineAsync(['watch', directory, '--to', 'ftp://host/files/'], { env });
    expect(badEndpoint.status).toBe(2);
    expect(badEndpoint.stderr).toContain('--to must be the http(s) URL of a tus endpoint');
    const busy = await lifelineAsync(['watch', directory, '--interval', '0'], { env });
    expect(busy.status).toBe(2);
    expect(busy.stderr).toContain("--interval: at least 100ms, not '0'");
  });

  it('withdraws a queued upload whose file is deleted before it is sent (an outbox, not a failure)', async () => {
    const cwd = tempDir('lifeline-watch-cwd-');
    writeFileSync(
      join(cwd, 'lifeline.config.json'),
      JSON.stringify({ server: 'http://127.0.0.1:9', queue: { synchronous: 'normal' } }),
    );
    const env = { LIFELINE_HOME: tempDir('lifeline-watch-home-') };
    const dir = tempDir('lifeline-outbox-');
    watcher = startLifeline(
      ['watch', dir, '--settle', '200ms', '--interval', '100ms', '--queue-only', '--json'],
      { cwd, env },
    );
    const command = watcher;
    writeFileSync(join(dir, 'keep.txt'), 'stays');
    writeFileSync(join(dir, 'drop.txt'), 'changed my mind');
    await until(
      () => events(command).filter((event) => event.event === 'queued').length === 2,
      20_000,
      'both queued',
    );
    const dropId = events(command).find(
      (event) => event.event === 'queued' && String(event.file).endsWith('drop.txt'),
    )?.id;
    rmSync(join(dir, 'drop.txt'));
    await until(() => events(command).some((event) => event.event === 'withdrawn'), 20_000, 'the withdrawal');
    expect(events(command).find((event) => event.event === 'withdrawn')).toMatchObject({ id: dropId });
    const listed = JSON.parse(
      (await lifelineAsync(['queue', 'list', '--json'], { cwd, env })).stdout,
    ) as Array<{ payload: { path: string } }>;
    expect(listed.map((item) => item.payload.path)).toEqual([join(dir, 'keep.txt')]);
  });

  it('says when the link to its endpoint is down, since no upload starts to say it', async () => {
    const cwd = tempDir('lifeline-watch-cwd-');
    const env = { LIFELINE_HOME: tempDir('lifeline-watch-home-') };
    const dir = tempDir('lifeline-outbox-');
    const port = await closedPort();
    watcher = startLifeline(['watch', dir, '--to', `http://127.0.0.1:${port}/files/`, '--json'], {
      cwd,
      env,
    });
    const command = watcher;
    await until(() => events(command).some((event) => event.event === 'link'), 20_000, 'the link event');
    expect(events(command).find((event) => event.event === 'link')).toMatchObject({
      state: 'offline',
      reason: expect.stringContaining(`connection refused (127.0.0.1:${port})`),
    });
  });
});
