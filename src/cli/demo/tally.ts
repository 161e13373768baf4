import type { StateChange } from '../../policy/circuit-breaker.js';
import type { ResumableUpload } from '../../transfer/resumable-upload.js';
import type { DemoRig } from './rig.js';

/** One upload as the live view shows it. */
export interface UploadTally {
  file: string;
  sizeBytes: number;
  /** How far the bytes sent reach (back to the server's offset when it resumes). */
  sentUpToBytes: number;
  rate: number;
  /** When bytes last moved. */
  movedAtMs: number;
  /** What it waits for while no byte moves: the link, or its next try. */
  waitingFor: string | undefined;
  done: boolean;
}

/** What the demo saw, for the live view and the report. */
export class Tally {
  readonly startedAtMs = Date.now();
  readonly operationKeys = new Set<string>();
  readonly breakerChanges: Array<StateChange & { atDemoMs: number }> = [];
  readonly uploads = new Map<number, UploadTally>();
  /** Bytes every upload attempt sent, re-sent ones included. */
  private readonly sentByAttempt = new Map<ResumableUpload, number>();
  pushbacks = 0;
  outageEndedAtMs: number | undefined;
  linkBackAtMs: number | undefined;
  faultsClearedAtMs: number | undefined;
  drainedAtMs: number | undefined;
  private readonly offs: Array<() => void> = [];

  constructor(rig: DemoRig) {
    const { runtime, server } = rig;
    const breaker = runtime.registry.circuitBreaker(rig.breakerName);
    this.offs.push(
      breaker.on('stateChange', (change) =>
        this.breakerChanges.push({ ...change, atDemoMs: Date.now() - this.startedAtMs }),
      ),
      server.on('pushback', () => this.pushbacks++),
      runtime.connectivity.on('change', ({ to }) => {
        if (to === 'online' && this.outageEndedAtMs !== undefined && this.linkBackAtMs === undefined)
          this.linkBackAtMs = Date.now();
      }),
      runtime.uploads.on('started', ({ item, upload }) => {
        const file = (item.payload as { path: string }).path.split('/').pop() ?? '';
        const entry: UploadTally = this.uploads.get(item.id) ?? {
          file,
          sizeBytes: upload.source.size,
          sentUpToBytes: 0,
          rate: 0,
          movedAtMs: Date.now(),
          waitingFor: undefined,
          done: false,
        };
        this.uploads.set(item.id, entry);
        upload.on('progress', (progress) => {
          this.sentByAttempt.set(upload, progress.bytesSent);
          if (progress.sentUpToBytes !== entry.sentUpToBytes) entry.movedAtMs = Date.now();
          entry.sentUpToBytes = progress.sentUpToBytes;
          entry.rate = progress.bytesPerSecond;
          entry.waitingFor = undefined;
        });
        // What the server holds is where it goes on from: the bar steps back to it, as the events say.
        upload.on('resumed', ({ offset }) => {
          entry.sentUpToBytes = offset;
        });
        upload.on('waitingForLink', () => {
          entry.waitingFor = 'waiting for the link';
        });
        upload.on('retry', () => {
          entry.waitingFor = 'retrying';
        });
        upload.on('completed', (result) => {
          this.sentByAttempt.set(upload, result.bytesSent);
          entry.sentUpToBytes = result.size;
          entry.done = true;
        });
      }),
    );
  }

  get uploadBytesSent(): number {
    let total = 0;
    for (const sent of this.sentByAttempt.values()) total += sent;
    return total;
  }

  /** Seconds since the demo began, as "00:23". */
  clock(atMs = Date.now()): string {
    const seconds = Math.floor((atMs - this.startedAtMs) / 1000);
    return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  }

  stop(): void {
    for (const off of this.offs) off();
  }
}
