import { connect } from 'node:net';
import { onAbort } from '../core/abort.js';
import { InvalidOptionError } from '../core/errors.js';
import { requireInteger } from '../core/validate.js';
import type { Probe, ProbeResult } from '../network/probe.js';

export interface TcpProbeOptions {
  /** Host name or address to connect to. */
  host: string;
  /** TCP port, 1–65535. */
  port: number;
}

/**
 * A probe that opens a TCP connection and closes it at once: `{ ok: true, latencyMs }` when the handshake
 * completes, `{ ok: false, latencyMs, error }` on an error or when its signal aborts. It sends no bytes, so
 * it works against any TCP service and costs a handshake. The socket is always destroyed.
 */
export function tcpProbe(options: TcpProbeOptions): Probe {
  const host = options?.host;
  if (typeof host !== 'string' || host.length === 0) {
    throw new InvalidOptionError(
      `tcpProbe: host must be a non-empty host name or address, got ${String(host)}`,
    );
  }
  const port = requireInteger('tcpProbe', 'port', options.port, 1);
  if (port > 65_535) throw new InvalidOptionError(`tcpProbe: port must be an integer ≤ 65535, got ${port}`);

  return ({ signal }) =>
    new Promise<ProbeResult>((resolve) => {
      const startMs = performance.now();
      const elapsedMs = () => performance.now() - startMs;
      if (signal.aborted) {
        resolve({ ok: false, latencyMs: 0, error: signal.reason });
        return;
      }
      const socket = connect({ host, port });
      let detachAbort = () => {};
      let settled = false;
      const finish = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        detachAbort();
        socket.destroy();
        resolve(result);
      };
      socket.once('connect', () => finish({ ok: true, latencyMs: elapsedMs() }));
      socket.on('error', (error) => finish({ ok: false, latencyMs: elapsedMs(), error }));
      detachAbort = onAbort(signal, (reason) => finish({ ok: false, latencyMs: elapsedMs(), error: reason }));
    });
}
