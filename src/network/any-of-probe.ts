import type { Probe, ProbeContext, ProbeResult } from './probe.js';

/**
 * A probe that finds the link up when any of several servers answers: `primary` (the configured health
 * check) and the probes `others()` lists at that moment (the servers that queued work goes to). One
 * server being down is that server's trouble — its breaker and its items' retries handle it — not the
 * link's: judged by it alone, work for every other server would wait for it.
 *
 * All run at once under the same signal, and the first that answers ok decides (a primary that hangs
 * until the timeout must not hide a server that answered at once). When none does, the primary's failure
 * says why the link is judged down, with the others' `detail`s added to its own.
 */
export function anyOfProbe(primary: Probe, others: () => Probe[] | Promise<Probe[]>): Probe {
  return async (context: ProbeContext): Promise<ProbeResult> => {
    const asking = settle(primary, context);
    const alternates = await Promise.resolve()
      .then(others)
      .catch(() => [] as Probe[]);
    if (alternates.length === 0) return asking;
    const answers = [asking, ...alternates.map((probe) => settle(probe, context))];
    const firstOk = await new Promise<ProbeResult | undefined>((resolve) => {
      let pending = answers.length;
      for (const answer of answers)
        void answer.then((result) => {
          if (result.ok) resolve(result);
          else if (--pending === 0) resolve(undefined);
        });
    });
    if (firstOk) return firstOk;
    const failed = await Promise.all(answers);
    const details = failed.map((answer) => answer.detail).filter((detail) => detail !== undefined);
    return details.length === 0
      ? (failed[0] as ProbeResult)
      : { ...failed[0], ok: false, detail: details.join('; ') };
  };
}

/** A probe's answer, a throw turned into a failed one. */
const settle = (probe: Probe, context: ProbeContext): Promise<ProbeResult> =>
  Promise.resolve()
    .then(() => probe(context))
    .catch((error: unknown) => ({ ok: false, error }));
