import { InvalidOptionError } from '../core/errors.js';
import { formatDuration } from '../core/format.js';
import { formatBytes } from '../core/units.js';
import { requireInteger, requireNumber } from '../core/validate.js';

/**
 * Faults the chaos proxy injects ("toxics", after Toxiproxy). Each applies to one direction —
 * `upstream` (client → server), `downstream` (server → client) or `both` — and, with `probability`, to
 * that share of connections (decided once per connection, from the proxy's seeded random source).
 */
export type ToxicDirection = 'upstream' | 'downstream' | 'both';

interface ToxicBase {
  /** Names the toxic so it can be changed or removed; default: its type (made unique). */
  name?: string;
  direction?: ToxicDirection;
  /** Share of connections it applies to, 0..1. Default 1. */
  probability?: number;
}

export type ToxicSpec = ToxicBase &
  (
    | { type: 'latency'; latencyMs: number; jitterMs?: number }
    | { type: 'bandwidth'; bytesPerSecond: number }
    | { type: 'slicer'; averageSizeBytes: number; sizeVariationBytes?: number; delayMs?: number }
    /** RST the connection after `afterBytes` in this direction (0: as soon as it is accepted). */
    | { type: 'reset'; afterBytes?: number }
    /** FIN the connection after `afterBytes` in this direction. */
    | { type: 'close'; afterBytes: number }
    /** Forward `afterBytes`, then stop forwarding and reading; the connection stays open. */
    | { type: 'stall'; afterBytes?: number }
    /** Read and drop everything; the connection stays open. */
    | { type: 'blackhole' }
  );

export type ToxicType = ToxicSpec['type'];

/** A toxic as the proxy holds it: validated, named, with an id that per-connection state is keyed by. */
export type Toxic = ToxicSpec & { name: string; direction: ToxicDirection; probability: number; id: number };

let nextId = 1;

/** Checks a spec and fills its defaults; throws InvalidOptionError naming the field. */
export function normaliseToxic(spec: ToxicSpec, name: string): Toxic {
  const owner = `toxic '${name}'`;
  const direction = spec.direction ?? 'both';
  if (!['upstream', 'downstream', 'both'].includes(direction)) {
    throw new InvalidOptionError(
      `${owner}: direction must be upstream, downstream or both, got '${direction}'`,
    );
  }
  const probability = requireNumber(owner, 'probability', spec.probability ?? 1, 0, { max: 1 });
  switch (spec.type) {
    case 'latency':
      requireNumber(owner, 'latencyMs', spec.latencyMs, 0);
      requireNumber(owner, 'jitterMs', spec.jitterMs ?? 0, 0);
      break;
    case 'bandwidth':
      requireNumber(owner, 'bytesPerSecond', spec.bytesPerSecond, 1);
      break;
    case 'slicer':
      requireInteger(owner, 'averageSizeBytes', spec.averageSizeBytes, 1);
      requireInteger(owner, 'sizeVariationBytes', spec.sizeVariationBytes ?? 0, 0);
      requireNumber(owner, 'delayMs', spec.delayMs ?? 0, 0);
      break;
    case 'reset':
    case 'stall':
      requireInteger(owner, 'afterBytes', spec.afterBytes ?? 0, 0);
      break;
    case 'close':
      requireInteger(owner, 'afterBytes', spec.afterBytes, 0);
      break;
    case 'blackhole':
      break;
    default:
      throw new InvalidOptionError(
        `${owner}: unknown type '${(spec as { type: string }).type}'; use latency, bandwidth, slicer, reset, close, stall or blackhole`,
      );
  }
  return { ...spec, name, direction, probability, id: nextId++ } as Toxic;
}

export function appliesTo(toxic: Toxic, direction: 'upstream' | 'downstream'): boolean {
  return toxic.direction === 'both' || toxic.direction === direction;
}

/** A one-line description for logs and the CLI: "latency 500ms ± 100ms, both ways, 100% of connections". */
export function describeToxic(toxic: Toxic): string {
  const what = (() => {
    switch (toxic.type) {
      case 'latency':
        return `latency ${formatDuration(toxic.latencyMs)}${toxic.jitterMs ? ` ± ${formatDuration(toxic.jitterMs)}` : ''}`;
      case 'bandwidth':
        return `bandwidth ${formatBytes(toxic.bytesPerSecond)}/s`;
      case 'slicer':
        return `slicer ${formatBytes(toxic.averageSizeBytes)} slices every ${formatDuration(toxic.delayMs ?? 0)}`;
      case 'reset':
        return toxic.afterBytes ? `reset after ${formatBytes(toxic.afterBytes)}` : 'reset at once';
      case 'close':
        return `close after ${formatBytes(toxic.afterBytes)}`;
      case 'stall':
        return `stall after ${formatBytes(toxic.afterBytes ?? 0)}`;
      case 'blackhole':
        return 'black hole';
    }
  })();
  const ways = toxic.direction === 'both' ? 'both ways' : toxic.direction;
  return `${what}, ${ways}, ${Math.round(toxic.probability * 100)}% of connections`;
}
