/**
 * bench/upload helper: puts the server process on a CPU of its own and this process (the clients and the
 * chaos proxy) on another, as two machines would be. On one small machine the scheduler otherwise takes the
 * server's thread off the CPU for a few milliseconds whenever the client side runs more threads than there
 * are other cores; the kernel's socket buffers fill meanwhile, and a reset then throws them away. That
 * cost comes from sharing CPUs, which a client and a server on two machines never do. Linux's `taskset`
 * (util-linux) does it; without it, or with one CPU, nothing is pinned and the header says so.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Pinning {
  /** What the bench prints about it. */
  description: string;
  /** Gives both processes every CPU again. */
  undo(): void;
}

const taskset = (cpus: string, pid: number) =>
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpus, String(pid)], { stdio: 'ignore' });

export function pinApart(serverPid: number): Pinning {
  const cpus = availableParallelism();
  if (cpus < 2) return { description: 'not pinned (one CPU)', undo: () => {} };
  const all = `0-${cpus - 1}`;
  // Never throws: a bench that failed (its server gone, say) must still clean up after itself.
  const undo = () => {
    for (const pid of [serverPid, process.pid]) {
      try {
        taskset(all, pid);
      } catch {}
    }
  };
  try {
    taskset('1', serverPid);
    taskset('0', process.pid);
  } catch (error) {
    undo();
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'taskset not found' : 'taskset failed';
    return { description: `not pinned (${why})`, undo: () => {} };
  }
  return {
    description:
      'the server process on CPU 1, the clients and the proxy on CPU 0, as on two one-CPU machines',
    undo,
  };
}
