/**
 * bench/policies: the cost per call of pipeline(retry, circuitBreaker, timeout) against cockatiel's
 * wrap(retry, circuitBreaker, timeout) and opossum, all measured in this run.
 *
 *  - success: the function returns at once.
 *  - fail-once: the function fails with a retryable error, then succeeds; retry delay zero.
 *
 * Bars (issue #2): success ≤ 0.5× opossum; fail-once < 10 µs.
 */
import * as cockatiel from 'cockatiel';
import Opossum from 'opossum';
import { circuitBreaker, constantBackoff, pipeline, retry, timeout } from '../src/index.js';
import { compare, formatNs, type Measurement, printTable } from './harness.js';

const TIMEOUT_MS = 30_000;
/**
 * Created once: `new Error` costs about 8 µs on the reference machine (stack capture), which would swamp
 * the policies' own cost that this benchmark is about. Its cost is printed beside the results.
 */
const TRANSIENT = Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });

function lifelinePipeline() {
  return pipeline(
    retry({ maxAttempts: 3, backoff: constantBackoff(0) }),
    circuitBreaker({ consecutiveFailures: 5, resetTimeoutMs: 30_000 }),
    timeout(TIMEOUT_MS),
  );
}

function cockatielPolicy() {
  return cockatiel.wrap(
    cockatiel.retry(cockatiel.handleAll, { maxAttempts: 2, backoff: new cockatiel.ConstantBackoff(0) }),
    cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: 30_000,
      breaker: new cockatiel.ConsecutiveBreaker(5),
    }),
    cockatiel.timeout(TIMEOUT_MS, cockatiel.TimeoutStrategy.Aggressive),
  );
}

/** opossum is a breaker with a timeout; it has no retry, so fail-once retries by hand once. */
function opossumBreaker(fn: () => Promise<number>) {
  // A volume threshold no run reaches keeps it closed under fail-once, so the figure is its cost, not its refusal.
  return new Opossum(fn, {
    timeout: TIMEOUT_MS,
    resetTimeout: 30_000,
    volumeThreshold: Number.MAX_SAFE_INTEGER,
  });
}

function failOnce() {
  let calls = 0;
  return async () => {
    calls++;
    if (calls % 2 === 1) throw TRANSIENT;
    return 1;
  };
}

export async function benchPolicies(quick: boolean): Promise<Measurement[]> {
  const scale = quick ? 0.1 : 1;
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  const succeed = async () => 1;

  const ours = lifelinePipeline();
  const theirs = cockatielPolicy();
  const opossum = opossumBreaker(succeed);
  const success = await compare([
    { name: 'bare async call', operation: succeed, iterations: n(100_000) },
    { name: 'lifeline pipeline', operation: () => ours.execute(succeed), iterations: n(100_000) },
    { name: 'opossum', operation: () => opossum.fire(), iterations: n(100_000) },
    { name: 'cockatiel wrap', operation: () => theirs.execute(succeed), iterations: n(5_000) },
  ]);
  opossum.shutdown();
  printTable('success path (function returns at once)', success, success[2] as Measurement);

  const oursFail = lifelinePipeline();
  const theirsFail = cockatielPolicy();
  const flakyForUs = failOnce();
  const flakyForCockatiel = failOnce();
  const opossumFail = opossumBreaker(failOnce());
  const failing = await compare(
    [
      { name: 'lifeline pipeline', operation: () => oursFail.execute(flakyForUs), iterations: n(20_000) },
      {
        name: 'opossum + manual retry',
        operation: () => opossumFail.fire().catch(() => opossumFail.fire()),
        iterations: n(2_000),
      },
      { name: 'cockatiel wrap', operation: () => theirsFail.execute(flakyForCockatiel), iterations: n(200) },
    ],
    { rounds: 5 },
  );
  opossumFail.shutdown();
  printTable('fail once, then succeed (retry delay 0)', failing, failing[2] as Measurement);
  const [errorCost] = await compare([
    { name: 'new Error', operation: async () => new Error('connection reset'), iterations: n(20_000) },
  ]);
  console.log(`  (for scale: creating one Error costs ${formatNs((errorCost as Measurement).nsPerOp)} here)`);

  const successRatio = (success[1] as Measurement).nsPerOp / (success[2] as Measurement).nsPerOp;
  const failNs = (failing[0] as Measurement).nsPerOp;
  console.log(
    `\n  bar: success ≤ 0.50× opossum → ${successRatio.toFixed(2)}× ${successRatio <= 0.5 ? 'PASS' : 'FAIL'}; ` +
      `fail-once < 10 µs → ${formatNs(failNs)} ${failNs < 10_000 ? 'PASS' : 'FAIL'}`,
  );
  return [...success, ...failing];
}
