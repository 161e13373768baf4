import type { Failure } from '../core/failure.js';

export interface UploadResult {
  url: string;
  size: number;
  sha256: string;
  /** Bytes this run sent, re-sent ones included: compare with `size` to see what the faults cost. */
  bytesSent: number;
  /** Where this run started: above 0 when it resumed an earlier upload. */
  resumedFromOffset: number;
  durationMs: number;
}

export interface UploadEvents {
  created: { url: string };
  /** Continued from the server's offset: after a restart, or after a failure. */
  resumed: { url: string; offset: number; reason: 'restart' | 'retry' };
  progress: {
    /** Every byte sent so far, those sent again after a failure included. */
    bytesSent: number;
    bytesAcknowledged: number;
    /**
     * How far into the file the bytes sent reach: the acknowledged offset plus what the PATCH in flight
     * has sent. What a progress bar shows — on a slow link a chunk takes minutes to be acknowledged.
     */
    sentUpToBytes: number;
    totalBytes: number;
    bytesPerSecond: number;
    etaMs?: number;
    /**
     * Every byte of the PATCH in flight has gone out and its answer has not come: on a slow link they may
     * still be draining from buffers on the way, so no byte moving now is no stall yet.
     */
    awaitingAnswer: boolean;
  };
  chunkAcknowledged: { offset: number; totalBytes: number };
  /** No byte moved for the stall timeout: the request was cut, and the upload resumes. */
  stalled: { offset: number; stallTimeoutMs: number };
  retry: { attempt: number; delayMs: number; failure: Failure; attemptsRemaining: number };
  /** The server no longer had the upload (expired or deleted): it starts cleanly anew. */
  expired: { url: string };
  /** The link is down: waiting for it, without spending attempts. */
  waitingForLink: { offset: number };
  completed: UploadResult;
}
