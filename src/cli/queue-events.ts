import { formatDuration, plural } from '../core/format.js';
import type { OperationQueue } from '../queue/operation-queue.js';
import { describeItem } from './describe-item.js';
import { eventPrinter, type Output, paint } from './output.js';

/**
 * Prints what the queue does, one line per transition — for a person ("✓ #42 POST … (12ms)") or, with
 * `json`, as JSON lines for scripts. Used by `lifeline agent`, `queue sync`, `send --wait` and `watch`.
 */
export function reportQueue(
  queue: OperationQueue,
  output: Output,
  json: boolean,
  /** followUploads runs beside it: a finished upload already has its line (size, resumes, URL). */
  options: { uploadsFollowed?: boolean } = {},
): () => void {
  const line = eventPrinter(output, json);
  const offs = [
    queue.on('completed', ({ item, durationMs }) =>
      options.uploadsFollowed && !json && item.kind === 'upload'
        ? undefined
        : line(
            'completed',
            `${paint(output, 'green', '✓')} #${item.id} ${describeItem(item)} (${formatDuration(durationMs)})`,
            {
              id: item.id,
              kind: item.kind,
              durationMs,
              result: item.result,
            },
          ),
    ),
    queue.on('retrying', ({ item, delayMs, error }) =>
      line(
        'retrying',
        error.kind === 'circuit-open'
          ? // Its message says when the breaker tries again; nothing was sent, so no attempt was spent.
            `${paint(output, 'yellow', '↻')} #${item.id} ${describeItem(item)} held back: ${error.message} (nothing sent, no attempt spent)`
          : `${paint(output, 'yellow', '↻')} #${item.id} ${describeItem(item)} failed: ${error.message} — retrying in ${formatDuration(delayMs)} (attempt ${item.attempts} of ${item.maxAttempts})`,
        {
          id: item.id,
          kind: item.kind,
          delayMs,
          error,
          attempts: item.attempts,
          maxAttempts: item.maxAttempts,
        },
      ),
    ),
    queue.on('released', ({ item, reason }) =>
      line('released', `${paint(output, 'yellow', '⏸')} #${item.id} ${describeItem(item)} waits: ${reason}`, {
        id: item.id,
        reason,
      }),
    ),
    queue.on('dead', ({ item, reason }) =>
      line('dead', `${paint(output, 'red', '✗')} #${item.id} ${describeItem(item)} is dead: ${reason}`, {
        id: item.id,
        kind: item.kind,
        reason,
      }),
    ),
    queue.on('recovered', ({ count }) =>
      line('recovered', `recovered ${plural(count, 'operation')} left running by a stopped process`, {
        count,
      }),
    ),
    queue.on('paused', () =>
      line(
        'paused',
        paint(output, 'yellow', "queue paused: nothing is sent until 'lifeline queue resume'"),
        {},
      ),
    ),
    queue.on('resumed', () => line('resumed', 'queue resumed', {})),
    queue.on('error', ({ error }) =>
      line('error', paint(output, 'red', `store error: ${(error as Error).message}`), {
        error: (error as Error).message,
      }),
    ),
  ];
  return () => {
    for (const off of offs) off();
  };
}
