import { formatDuration, plural } from '../../core/format.js';
import { formatBytes } from '../../core/units.js';
import { FileSource } from '../../node/file-source.js';
import { type Output, paint } from '../output.js';
import type { DemoRig } from './rig.js';
import type { Tally } from './tally.js';

export interface DemoReport {
  ok: boolean;
  operations: { queued: number; delivered: number; lost: number; duplicates: number };
  files: {
    count: number;
    bytes: number;
    identical: number;
    bytesSent: number;
    resentBytes: number;
    resentShare: number;
  };
  faults: { resets: number; outageMs: number; pushbacks: number; connections: number };
  recovery: { linkSeenBackMs?: number; drainedAfterFaultsMs?: number };
  breaker: Array<{ at: string; from: string; to: string; reason: string }>;
}

/** What the story proved: nothing lost, nothing applied twice, files intact, and what the faults cost. */
export async function buildReport(rig: DemoRig, tally: Tally, outageMs: number): Promise<DemoReport> {
  const applied = rig.server.appliedCountByKey();
  let delivered = 0;
  let duplicates = 0;
  for (const key of tally.operationKeys) {
    const count = applied.get(key) ?? 0;
    if (count > 0) delivered++;
    if (count > 1) duplicates += count - 1;
  }
  const received = new Set(rig.server.uploads().map((upload) => upload.sha256));
  let identical = 0;
  for (const path of rig.files) {
    const source = await FileSource.open(path);
    if (received.has(await source.sha256())) identical++;
    await source.close();
  }
  const bytes = rig.files.length * rig.fileBytes;
  const bytesSent = tally.uploadBytesSent;
  const queued = tally.operationKeys.size;
  const lost = queued - delivered;
  const recovery: DemoReport['recovery'] = {};
  if (tally.linkBackAtMs !== undefined && tally.outageEndedAtMs !== undefined) {
    recovery.linkSeenBackMs = tally.linkBackAtMs - tally.outageEndedAtMs;
  }
  if (tally.drainedAtMs !== undefined && tally.faultsClearedAtMs !== undefined) {
    recovery.drainedAfterFaultsMs = Math.max(0, tally.drainedAtMs - tally.faultsClearedAtMs);
  }
  return {
    ok: lost === 0 && duplicates === 0 && identical === rig.files.length,
    operations: { queued, delivered, lost, duplicates },
    files: {
      count: rig.files.length,
      bytes,
      identical,
      bytesSent,
      resentBytes: Math.max(0, bytesSent - bytes),
      resentShare: bytes === 0 ? 0 : Math.max(0, bytesSent - bytes) / bytes,
    },
    faults: {
      resets: rig.proxy.counters.resetsInjected,
      outageMs,
      pushbacks: tally.pushbacks,
      connections: rig.proxy.counters.connectionsAccepted,
    },
    recovery,
    breaker: tally.breakerChanges.map((change) => ({
      at: tally.clock(tally.startedAtMs + change.atDemoMs),
      from: change.from,
      to: change.to,
      reason: change.reason,
    })),
  };
}

export function printReport(output: Output, report: DemoReport): void {
  const mark = (good: boolean) => (good ? paint(output, 'green', '✓') : paint(output, 'red', '✗'));
  const { operations, files, faults, recovery } = report;
  output.line('');
  output.line(paint(output, 'bold', 'Report'));
  output.line(
    `  operations  ${operations.queued} queued · ${operations.delivered} delivered · ${operations.lost} lost · ` +
      `${operations.duplicates} duplicates at the server ${mark(operations.lost === 0 && operations.duplicates === 0)}`,
  );
  output.line(
    `  files       ${files.count} × ${formatBytes(files.bytes / Math.max(1, files.count))}: ${files.identical} of ${files.count} arrived byte-identical (sha256) ${mark(files.identical === files.count)}`,
  );
  output.line(
    `              ${formatBytes(files.bytesSent)} sent for ${formatBytes(files.bytes)}: ${formatBytes(files.resentBytes)} re-sent (${(files.resentShare * 100).toFixed(1)}%)`,
  );
  output.line(
    `  faults      ${plural(faults.resets, 'connection reset')} · an outage of ${formatDuration(faults.outageMs)} · ${plural(faults.pushbacks, 'answer')} 429 with Retry-After (over ${plural(faults.connections, 'connection')} in all)`,
  );
  const linkBack =
    recovery.linkSeenBackMs === undefined
      ? 'not measured'
      : `${formatDuration(recovery.linkSeenBackMs)} after the outage ended`;
  const drained =
    recovery.drainedAfterFaultsMs === undefined
      ? 'did not drain'
      : `${formatDuration(recovery.drainedAfterFaultsMs)} after the last fault`;
  output.line(`  recovery    link seen back ${linkBack}; queue drained ${drained}`);
  if (report.breaker.length === 0) output.line('  breaker     stayed closed');
  for (const [index, change] of report.breaker.entries()) {
    output.line(
      `  ${index === 0 ? 'breaker' : '       '}     ${change.at} ${change.from} → ${change.to}: ${change.reason}`,
    );
  }
  output.line('');
  output.line(
    report.ok
      ? paint(output, 'green', 'nothing lost, nothing applied twice')
      : paint(output, 'red', 'the demo found a problem: see above'),
  );
}
