import { formatDuration, plural } from '../../core/format.js';
import { formatBytes } from '../../core/units.js';
import { noBytesFor, stillAfterMs } from '../follow-uploads.js';
import { type Output, paint } from '../output.js';
import { bar, fitWidth } from '../progress-board.js';
import { linkStateText } from '../quality-text.js';
import type { DemoRig } from './rig.js';
import type { Phase } from './story.js';
import type { Tally, UploadTally } from './tally.js';

/** The live picture: link, quality, breaker, queue, server, uploads — redrawn in place on a terminal. */
export class DemoView {
  private drawn = 0;
  private summarisedAtMs = 0;

  constructor(
    private readonly output: Output,
    private readonly rig: DemoRig,
    private readonly tally: Tally,
  ) {}

  async lines(phase: Phase, index: number, total: number): Promise<string[]> {
    const { runtime, server } = this.rig;
    const output = this.output;
    const link = runtime.connectivity.snapshot();
    const quality = runtime.quality.snapshot();
    const breaker = runtime.registry.circuitBreaker(this.rig.breakerName).snapshot();
    const queue = await runtime.queue.status();
    const breakerText =
      breaker.state === 'closed'
        ? paint(output, 'green', 'closed')
        : `${paint(output, breaker.state === 'open' ? 'red' : 'yellow', breaker.state)}${breaker.retryAfterMs > 0 ? ` — next trial in ${formatDuration(breaker.retryAfterMs)}` : ''}`;
    const lines = [
      `${paint(output, 'bold', `lifeline demo ${this.tally.clock()}`)}  act ${index + 1}/${total}: ${paint(output, 'bold', phase.name)} — ${phase.caption}`,
      `  link     ${linkStateText(output, link.state)}: ${link.reason}`,
      `  quality  ${quality.level} · score ${Math.round(quality.score * 100)}%${quality.latencyMs === undefined ? '' : ` · ${Math.round(quality.latencyMs)}ms`} · loss ${(quality.lossRate * 100).toFixed(1)}%`,
      `  breaker  ${breakerText}`,
      `  queue    pending ${queue.pending} · running ${queue.running} · completed ${queue.completed} · dead ${queue.dead}${queue.paused ? ' · paused' : ''}`,
      `  server   ${plural(server.operationCount, 'operation')} applied · ${plural(server.uploads().length, 'file')} received · ` +
        `${plural(this.rig.proxy.counters.resetsInjected, 'reset')} injected`,
    ];
    for (const upload of this.tally.uploads.values()) {
      const share = upload.sizeBytes === 0 ? 1 : upload.sentUpToBytes / upload.sizeBytes;
      lines.push(
        `  upload   ${upload.file} ${bar(share)} ${String(Math.floor(share * 100)).padStart(3)}% ${formatBytes(upload.sentUpToBytes)} / ${formatBytes(upload.sizeBytes)} ${uploadState(upload)}`,
      );
    }
    // A line wider than the terminal wraps, and the redraw (which counts lines, not rows) leaves its tail.
    const columns = this.output.columns;
    return columns ? lines.map((line) => fitWidth(line, columns)) : lines;
  }

  /** On a terminal, replace the previous picture; elsewhere (a log, CI), a one-line summary every few seconds. */
  async draw(phase: Phase, index: number, total: number): Promise<void> {
    if (!this.output.terminal) {
      if (Date.now() - this.summarisedAtMs < 3000) return;
      this.summarisedAtMs = Date.now();
      this.output.line(await this.summary(phase));
      return;
    }
    const lines = await this.lines(phase, index, total);
    if (this.drawn > 0) this.output.write(`\u001b[${this.drawn}F\u001b[0J`);
    for (const line of lines) this.output.line(line);
    this.drawn = lines.length;
  }

  private async summary(phase: Phase): Promise<string> {
    const { runtime, server } = this.rig;
    const queue = await runtime.queue.status();
    const breaker = runtime.registry.circuitBreaker(this.rig.breakerName).state;
    return (
      `${this.tally.clock()} ${phase.name}: link ${runtime.connectivity.state}, breaker ${breaker}, ` +
      `queue ${queue.pending} pending / ${queue.completed} done, server ${plural(server.operationCount, 'operation')}, ${plural(server.uploads().length, 'file')}`
    );
  }

  /** A line that stays above the live picture. */
  event(text: string): void {
    if (this.output.terminal && this.drawn > 0) this.output.write(`\u001b[${this.drawn}F\u001b[0J`);
    this.drawn = 0;
    this.output.line(`${paint(this.output, 'grey', this.tally.clock())} ${text}`);
  }
}

/** ✓ when done; else what it waits for, that no byte moves, or the rate. */
function uploadState(upload: UploadTally): string {
  if (upload.done) return '✓';
  if (upload.waitingFor) return upload.waitingFor;
  const stillMs = Date.now() - upload.movedAtMs;
  if (stillMs >= stillAfterMs(upload.rate)) return noBytesFor(stillMs); // as send --wait's bars say it
  return `${formatBytes(upload.rate)}/s`;
}
