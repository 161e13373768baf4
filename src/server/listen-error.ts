/**
 * The server could not listen where it was told to. `code` is Node's (`EADDRINUSE`, `EACCES`,
 * `EADDRNOTAVAIL`…), so callers can say what to do in their own terms (the CLI names its `--port`).
 */
export class ListenError extends Error {
  readonly code: string;
  readonly host: string;
  readonly port: number;

  constructor(cause: NodeJS.ErrnoException, host: string, port: number) {
    const where = `${host}:${port}`;
    const code = cause.code ?? 'UNKNOWN';
    const messages: Record<string, string> = {
      EADDRINUSE: `${where} is in use by another program; stop it, or choose another port (port 0 picks a free one)`,
      EACCES: `not allowed to listen on ${where} (ports below 1024 need privileges); choose a port above 1024`,
      EADDRNOTAVAIL: `cannot listen on ${host}: no network interface of this machine has that address; use 127.0.0.1 or 0.0.0.0`,
    };
    super(messages[code] ?? `cannot listen on ${where}: ${cause.message}`, { cause });
    this.name = 'ListenError';
    this.code = code;
    this.host = host;
    this.port = port;
  }
}
