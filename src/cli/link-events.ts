import type { Runtime } from '../node/runtime.js';
import type { EventPrinter, Output } from './output.js';
import { linkStateText } from './quality-text.js';

/**
 * One line (or a `link` event) each time the link changes state, with why ("link offline: probe failed:
 * connection refused (127.0.0.1:8080)"): what the agent and `watch` show while nothing else moves.
 */
export function reportLink(runtime: Runtime, output: Output, say: EventPrinter): () => void {
  return runtime.connectivity.on('change', ({ to, reason }) => {
    say('link', `link ${linkStateText(output, to)}: ${reason}`, { state: to, reason });
  });
}
