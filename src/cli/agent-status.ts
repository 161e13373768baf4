import { type AgentHealth, readAgentHealth } from '../node/agent-health.js';
import { processExists } from '../node/process-owner.js';

/**
 * Whether a `lifeline agent` is running, judged from the snapshot it writes every 2 s: fresh (under
 * 10 s old) and written by a process that still exists.
 */

/** A snapshot older than this means the agent that wrote it has stopped. */
export const AGENT_SNAPSHOT_FRESH_MS = 10_000;

export type AgentStatus =
  | { running: true; health: AgentHealth }
  | { running: false; lastSeen: AgentHealth | undefined };

export function agentStatus(stateDir: string, nowMs = Date.now()): AgentStatus {
  const health = readAgentHealth(stateDir);
  if (health === undefined) return { running: false, lastSeen: undefined };
  const fresh = nowMs - health.writtenAtMs < AGENT_SNAPSHOT_FRESH_MS && processExists(health.pid);
  return fresh ? { running: true, health } : { running: false, lastSeen: health };
}
