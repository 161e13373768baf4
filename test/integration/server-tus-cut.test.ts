import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { LifelineServer } from '../../src/server/index.js';
import { startedServers } from './support/servers.js';
import { untilAsync } from './support/tcp.js';

/**
 * PATCHes that do not end as they began, spoken over raw sockets: one whose connection ends mid-body, one
 * the server refuses before reading its body. The bytes that arrived are kept (tus 1.0: "store as much of
 * the received data as possible"), and a refused body is drained so its connection serves the next request.
 */

const { started } = startedServers('lifeline-tus-cut-');

async function openSocket(server: LifelineServer): Promise<{ socket: Socket; received: () => string }> {
  const socket = connect({ port: server.port, host: '127.0.0.1' });
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => text };
}

async function createUpload(server: LifelineServer, length: number): Promise<string> {
  const response = await fetch(`${server.url}/files/`, {
    method: 'POST',
    headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length) },
  });
  expect(response.status).toBe(201);
  return response.headers.get('location') as string;
}

const patchHead = (location: string, offset: number, length: number, extra = '') =>
  `PATCH ${location} HTTP/1.1\r\nhost: 127.0.0.1\r\ntus-resumable: 1.0.0\r\n` +
  `content-type: application/offset+octet-stream\r\nupload-offset: ${offset}\r\ncontent-length: ${length}\r\n${extra}\r\n`;

const offsetOf = async (server: LifelineServer, location: string) => {
  const response = await fetch(`${server.url}${location}`, {
    method: 'HEAD',
    headers: { 'tus-resumable': '1.0.0' },
  });
  return Number(response.headers.get('upload-offset'));
};

describe('tus PATCHes cut short', () => {
  it('resumes a PATCH whose connection ended mid-body from exactly the bytes that arrived', async () => {
    const server = await started();
    const location = await createUpload(server, 1024 * 1024);
    const sent = randomBytes(300 * 1024);
    const { socket } = await openSocket(server);
    // The bytes and the end of the connection arrive together: the server reads both in one go.
    socket.end(Buffer.concat([Buffer.from(patchHead(location, 0, 1024 * 1024)), sent]));
    await untilAsync(async () => (await offsetOf(server, location)) > 0, 5000);
    expect(await offsetOf(server, location)).toBe(sent.length);
    // The upload goes on from there.
    const rest = await fetch(`${server.url}${location}`, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': String(sent.length),
      },
      body: randomBytes(1024 * 1024 - sent.length),
    });
    expect(rest.status).toBe(204);
    expect(rest.headers.get('upload-offset')).toBe(String(1024 * 1024));
  });

  it('drains the body of a PATCH refused before it was read, so its connection serves the next request', async () => {
    const server = await started();
    const location = await createUpload(server, 8 * 1024 * 1024);
    const { socket, received } = await openSocket(server);
    const body = randomBytes(8 * 1024 * 1024);
    // No Tus-Resumable header: refused with 412 before the body is read. Then an OPTIONS on the same socket.
    const refusedHead = patchHead(location, 0, body.length).replace('tus-resumable: 1.0.0\r\n', '');
    socket.write(refusedHead);
    socket.write(body);
    socket.write('OPTIONS /files/ HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await untilAsync(async () => (received().match(/^HTTP\/1\.1 /gm) ?? []).length >= 2, 5000);
    const statuses = [...received().matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1]));
    expect(statuses).toEqual([412, 204]);
    socket.destroy();
  });
});
