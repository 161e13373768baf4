import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Recommendations } from '../network/recommendations.js';
import type { CircuitSnapshot } from '../policy/circuit-breaker.js';

/**
 * How the agent shares what only it knows (its breakers, its view of the link) with `lifeline health` in
 * another process: it writes a snapshot to the state directory every few seconds; `health reset` leaves
 * a request file that the agent acts on within a second or two.
 */
export interface AgentHealth {
  pid: number;
  writtenAtMs: number;
  link: { state: string; reason: string; sinceMs: number };
  quality: {
    level: string;
    score: number;
    latencyMs: number | undefined;
    jitterMs: number | undefined;
    lossRate: number;
  };
  /** The agent's advice from its own sample window (transfer now?, batch size, concurrency). */
  recommendations: Recommendations;
  breakers: CircuitSnapshot[];
  queue: { paused: boolean; runningHere: number; concurrency: number };
  /** The time of the last `health reset` request the agent acted on (the request file's mtime), or 0. */
  resetHandledAtMs: number;
}

const HEALTH_FILE = 'agent-health.json';
const RESET_FILE = 'health-reset-requested';

export function writeAgentHealth(stateDir: string, health: AgentHealth): void {
  const path = join(stateDir, HEALTH_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(health), { mode: 0o600 });
  renameSync(temporary, path); // atomic: a reader never sees half a file
}

/** The last snapshot an agent wrote, or undefined if none (or it is unreadable). */
export function readAgentHealth(stateDir: string): AgentHealth | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, HEALTH_FILE), 'utf8')) as AgentHealth;
  } catch {
    return undefined;
  }
}

/** Asks a running agent to reset its breakers, budgets and quality history. */
export function requestHealthReset(stateDir: string): void {
  writeFileSync(join(stateDir, RESET_FILE), String(Date.now()), { mode: 0o600 });
}

/** When a reset was last requested (epoch ms), or 0. */
export function healthResetRequestedAtMs(stateDir: string): number {
  const path = join(stateDir, RESET_FILE);
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}
