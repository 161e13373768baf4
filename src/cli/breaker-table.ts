import type { CircuitSnapshot, CircuitState } from '../policy/circuit-breaker.js';
import { type Colour, clockTime, type Output, paint, table } from './output.js';
import { fromNow } from './time-text.js';

/** The circuit breakers of a health view: one row each, then their last transitions. */

const STATE_COLOUR: Record<CircuitState, Colour> = {
  closed: 'green',
  'half-open': 'yellow',
  open: 'red',
  isolated: 'red',
};

const TRANSITIONS_SHOWN = 3;

/** Whether a breaker refuses calls: open, or isolated by hand. */
export function refusesCalls(breaker: CircuitSnapshot): boolean {
  return breaker.state === 'open' || breaker.state === 'isolated';
}

/**
 * When trial calls are let through, given a snapshot taken at `snapshotAtMs` (an agent's snapshot can
 * be a couple of seconds old): epoch ms, or undefined unless the breaker is open.
 */
export function nextTrialAtMs(breaker: CircuitSnapshot, snapshotAtMs: number): number | undefined {
  return breaker.state === 'open' ? snapshotAtMs + breaker.retryAfterMs : undefined;
}

/** Table lines (indented by two spaces), each breaker followed by its last transitions, newest last. */
export function breakerLines(
  output: Output,
  breakers: readonly CircuitSnapshot[],
  snapshotAtMs: number,
  nowMs = Date.now(),
): string[] {
  if (breakers.length === 0) return ['  no breakers yet (one appears per host the agent has called)'];
  const rows = [['  NAME', 'STATE', 'FAILURES', 'NEXT TRIAL', 'WHY']];
  for (const breaker of breakers) {
    rows.push([
      `  ${breaker.name}`,
      paint(output, STATE_COLOUR[breaker.state], breaker.state),
      `${Math.round(breaker.failureRate * 100)}% of ${breaker.calls}`,
      nextTrial(breaker, snapshotAtMs, nowMs),
      breaker.reason,
    ]);
  }
  const [header, ...body] = table(rows);
  const lines = [header as string];
  body.forEach((line, i) => {
    lines.push(line);
    const breaker = breakers[i] as CircuitSnapshot;
    for (const change of breaker.lastTransitions.slice(-TRANSITIONS_SHOWN)) {
      lines.push(
        paint(
          output,
          'grey',
          `      ${clockTime(new Date(change.atMs))}  ${change.from} → ${change.to}: ${change.reason}`,
        ),
      );
    }
  });
  return lines;
}

function nextTrial(breaker: CircuitSnapshot, snapshotAtMs: number, nowMs: number): string {
  switch (breaker.state) {
    case 'open':
      return fromNow(nextTrialAtMs(breaker, snapshotAtMs) ?? nowMs, nowMs);
    case 'half-open':
      return 'trying now';
    case 'isolated':
      return 'isolated by hand';
    default:
      return '—';
  }
}
