import { LifelineError } from '../core/errors.js';

/** The server found different bytes than the client sent: the upload is not accepted. */
export class ChecksumMismatchError extends LifelineError {
  constructor(detail: string, cause?: unknown) {
    super(
      'CHECKSUM_MISMATCH',
      `the server's copy does not match the file (${detail}); the upload was not accepted — if the file changed while uploading, send it again`,
      { kind: 'permanent', retryable: false, serviceFault: false },
      { cause },
    );
    this.name = 'ChecksumMismatchError';
  }
}

/** The tus server answered something the protocol does not allow; retrying will not help. */
export class TusProtocolError extends LifelineError {
  constructor(message: string) {
    super('TUS_PROTOCOL', message, { kind: 'permanent', retryable: false, serviceFault: false });
    this.name = 'TusProtocolError';
  }
}

/** @internal Marks, inside an upload, an error that came from the source (the file), not from the network. */
export class SourceFailure {
  constructor(readonly error: unknown) {}
}
