import type { Handler } from './handler.js';
import type { QueueItem } from './types.js';

/**
 * Background kinds (long transfers: uploads) must not hold every slot the quality advice allows. On a
 * poor link the advice is one slot, and an upload holding it for an hour kept every small operation
 * waiting as long. So when every running item is a background one, one item of another kind may start
 * beside them (within `maxConcurrency`), claimed by kind, so that slot never goes to another transfer.
 *
 * Returns the kinds that slot may be claimed for, or undefined when there is no such slot to fill.
 */
export function foregroundKinds(
  running: readonly QueueItem[],
  handlers: ReadonlyMap<string, Handler>,
  background: ReadonlySet<string>,
): string[] | undefined {
  if (running.length === 0 || running.some((item) => !background.has(item.kind))) return undefined;
  const kinds = [...handlers.keys()].filter((kind) => !background.has(kind));
  return kinds.length > 0 ? kinds : undefined;
}
