import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { plural } from '../../core/format.js';
import { formatBytes } from '../../core/units.js';
import { type UploadOperation, uploadOperation } from '../../node/upload-operation.js';
import { httpOperation } from '../../queue/http-operation.js';
import type { QueueItem } from '../../queue/types.js';
import { type Command, EXIT } from '../command.js';
import { buildReport, printReport } from '../demo/report.js';
import { type DemoRig, startRig } from '../demo/rig.js';
import { OPERATIONS_PER_SECOND, story } from '../demo/story.js';
import { Tally } from '../demo/tally.js';
import { DemoView } from '../demo/view.js';
import { interruption, pause } from '../interrupt.js';
import { type Output, paint } from '../output.js';
import { linkStateText } from '../quality-text.js';

const HELP = `lifeline demo — watch lifeline keep work flowing through a bad link

Usage: lifeline demo [--quick] [--json]

Starts lifeline's server, a chaos proxy in front of it, and the agent (queue and uploads) — the real
components, on this machine, in a temporary directory — then plays a story of about 45 seconds: a healthy
link; connections reset (30% of replies lost, every upload cut after 6 MB and resumed from the server's
offset); a total outage while work keeps being queued; 429s with Retry-After;
recovery. It ends with a report: operations delivered and duplicates at the server (must be zero), bytes
re-sent against the bytes of the files, time from recovery to drain, and the breaker's transitions.

  --quick    a shorter story (about 20 s) with smaller files
  --json     events and the report as JSON lines

Exit codes: 0 nothing lost and nothing duplicated, 1 otherwise.`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'see it work: server, chaos proxy and agent through a scripted story of faults',
  help: HELP,
  async run(args, output) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: { quick: { type: 'boolean' }, json: { type: 'boolean' } },
    });
    const quick = values.quick === true;
    const json = values.json === true;
    const MiB = 1024 * 1024;
    const rig = await startRig({ fileCount: 3, fileBytes: (quick ? 4 : 24) * MiB, seed: 42 });
    const tally = new Tally(rig);
    const view = new DemoView(output, rig, tally);
    const interrupted = interruption();
    const say = (event: string, text: string, fields: Record<string, unknown> = {}) => {
      if (json) output.json({ event, at: tally.clock(), ...fields });
      else view.event(text);
    };
    follow(rig, say, output);
    rig.runtime.connectivity.start();
    rig.runtime.queue.start();
    const phases = story(quick ? 0.35 : 1, (quick ? 1.5 : 6) * MiB);
    let outageMs = 0;
    let actIndex = 0;
    try {
      for (const [index, phase] of phases.entries()) {
        if (interrupted.signal.aborted) break;
        actIndex = index;
        say('act', `${paint(output, 'bold', `act ${index + 1}: ${phase.name}`)} — ${phase.caption}`, {
          act: phase.name,
        });
        if (phase.name === 'outage') outageMs = phase.durationMs;
        await phase.enter(rig);
        if (phase.name === 'pushback') tally.outageEndedAtMs = Date.now();
        if (phase.name === 'recovery') tally.faultsClearedAtMs = Date.now();
        if (phase.file !== undefined) await sendFile(rig, phase.file);
        const last = index === phases.length - 1;
        const endsAtMs = Date.now() + phase.durationMs;
        while (Date.now() < endsAtMs && !interrupted.signal.aborted) {
          if (!last) await queueOperations(rig, tally, OPERATIONS_PER_SECOND / 2);
          if (!json) await view.draw(phase, index, phases.length);
          if (last && (await drained(rig))) {
            tally.drainedAtMs = Date.now();
            break;
          }
          await pause(500, interrupted.signal);
        }
      }
      // Cut short, the story proves nothing either way: a report would count what was still on its way.
      if (interrupted.signal.aborted) {
        const act = `act ${actIndex + 1} of ${phases.length} (${phases[actIndex]?.name})`;
        if (json) output.json({ event: 'interrupted', at: tally.clock(), act: phases[actIndex]?.name });
        else
          output.line(
            `interrupted in ${act}: no report; 'lifeline demo --quick' plays the whole story in ~20 s`,
          );
        return EXIT.failed;
      }
      const report = await buildReport(rig, tally, outageMs);
      if (json) output.json({ event: 'report', ...report });
      else printReport(output, report);
      return report.ok ? EXIT.ok : EXIT.failed;
    } finally {
      interrupted.dispose();
      tally.stop();
      await rig.runtime.queue.stop(2000);
      await rig.close();
    }
  },
};

async function queueOperations(rig: DemoRig, tally: Tally, count: number): Promise<void> {
  const url = `${rig.proxy.url}/ops/reading`;
  const entries = Array.from({ length: count }, () => {
    const n = tally.operationKeys.size;
    return {
      kind: 'http',
      payload: httpOperation({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n, depth: 40 + (n % 7) }),
      }),
    };
  });
  for (const item of await rig.runtime.queue.enqueueMany(entries))
    tally.operationKeys.add(item.idempotencyKey);
}

async function sendFile(rig: DemoRig, index: number): Promise<void> {
  const path = rig.files[index];
  if (path)
    await rig.runtime.queue.enqueue('upload', uploadOperation(path, rig.runtime.uploadEndpoint), {
      priority: -1,
    });
}

async function drained(rig: DemoRig): Promise<boolean> {
  const status = await rig.runtime.queue.status();
  return status.pending === 0 && status.running === 0;
}

/** Events worth a line of their own: the link changing, the breaker moving, an upload finishing. */
function follow(
  rig: DemoRig,
  say: (event: string, text: string, fields?: Record<string, unknown>) => void,
  output: Output,
): void {
  rig.runtime.connectivity.on('change', ({ to, reason }) => {
    say('link', `link ${linkStateText(output, to)}: ${reason}`, { state: to, reason });
  });
  rig.runtime.registry.circuitBreaker(rig.breakerName).on('stateChange', ({ from, to, reason }) =>
    say('breaker', `breaker ${from} → ${paint(output, to === 'closed' ? 'green' : 'red', to)}: ${reason}`, {
      from,
      to,
      reason,
    }),
  );
  // Resumptions per item: after a cut connection (in this run), or from where an earlier run left off.
  const resumes = new Map<number, number>();
  rig.runtime.queue.on('completed', ({ item, result }) => {
    if (item.kind !== 'upload') return;
    const { resumedFromOffset } = result as { resumedFromOffset: number };
    const count = (resumes.get(item.id) ?? 0) + (resumedFromOffset > 0 ? 1 : 0);
    const name = fileName(item);
    say('uploaded', `uploaded ${name}${count > 0 ? ` (resumed ${plural(count, 'time')})` : ''}`, {
      id: item.id,
      file: name,
      resumes: count,
    });
  });
  // A cut connection: the upload asks the server how far it got and goes on from there.
  rig.runtime.uploads.on('started', ({ item, upload }) => {
    const name = fileName(item);
    upload.on('resumed', ({ offset, reason }) => {
      if (reason !== 'retry') return;
      resumes.set(item.id, (resumes.get(item.id) ?? 0) + 1);
      const where =
        offset >= upload.source.size
          ? 'the server has every byte; finishing (only its answer was lost)'
          : `resuming at ${formatBytes(offset)}, the server's offset`;
      say('resumed', `${name}: connection lost; ${where}`, { id: item.id, file: name, offset });
    });
  });
  // Without a line of its own, the act of 429s looks stalled: nothing moves because lifeline waits as asked.
  rig.server.on('pushback', ({ status, retryAfterSeconds }) =>
    say(
      'pushback',
      `server answered ${status} with Retry-After: ${retryAfterSeconds}s — lifeline holds its requests to it that long; nothing is lost`,
      { status, retryAfterSeconds },
    ),
  );
  rig.runtime.queue.on('dead', ({ item, reason }) =>
    say('dead', paint(output, 'red', `#${item.id} is dead: ${reason}`), { id: item.id, reason }),
  );
}

/** The name of an upload item's file. */
const fileName = (item: QueueItem) => basename((item.payload as UploadOperation).path);
