import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who holds a queue item while it runs: `host:pid:nonce`. With it, a queue opening the store can tell
 * that an item was left running by a process that no longer exists (it crashed) and take it back at
 * once, instead of waiting for the claim to lapse.
 */
export function processOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** The pid of an owner that is a process on this host (`processOwner()`'s form), else undefined. */
export function ownerPid(owner: string): number | undefined {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  return host === hostname() && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** False only when the owner is a process on this host that no longer exists. */
export function isProcessOwnerAlive(owner: string): boolean {
  const pid = ownerPid(owner);
  if (pid === undefined) return true; // cannot tell: rely on the lease
  return pid === process.pid || processExists(pid);
}

/** Whether a process with this pid exists on this machine. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, but is not ours to signal
  }
}
