/**
 * `npm run bench` runs every benchmark; `npm run bench -- policies` runs one; `--quick` shortens them.
 * `--reset-rounds=N` repeats bench/upload's reset phase N times over its seeds (default 1: 8 uploads per
 * client and chunk size), for a sample that sees the rare losses (see upload.ts).
 * Figures are ratios against peers measured in the same run, never against numbers from elsewhere.
 */
import type { BenchOptions } from './harness.js';
import { benchPolicies } from './policies.js';
import { benchProxy } from './proxy.js';
import { benchQueue } from './queue.js';
import { benchUpload } from './upload.js';

const suites: Record<string, (options: BenchOptions) => Promise<unknown>> = {
  policies: ({ quick }) => benchPolicies(quick),
  proxy: ({ quick }) => benchProxy(quick),
  queue: ({ quick }) => benchQueue(quick),
  upload: benchUpload,
};

const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

const args = process.argv.slice(2);
const flags = args.filter((arg) => arg.startsWith('--'));
const wanted = args.filter((arg) => !arg.startsWith('--'));
const unknownFlags = flags.filter((flag) => flag !== '--quick' && !flag.startsWith('--reset-rounds='));
if (unknownFlags.length > 0)
  fail(`unknown option: ${unknownFlags.join(', ')} (known: --quick, --reset-rounds=N)`);
const roundsFlag = flags.find((flag) => flag.startsWith('--reset-rounds='));
const resetRounds = roundsFlag === undefined ? 1 : Number(roundsFlag.slice('--reset-rounds='.length));
if (!Number.isInteger(resetRounds) || resetRounds < 1) {
  fail(
    `--reset-rounds takes a whole number of rounds, 1 or more (such as --reset-rounds=50), got '${roundsFlag}'`,
  );
}
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0)
  fail(`unknown benchmark: ${unknown.join(', ')} (known: ${Object.keys(suites).join(', ')})`);
console.log(`lifeline benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) {
  console.log(`\n== ${name} ==`);
  await (suites[name] as (options: BenchOptions) => Promise<unknown>)({
    quick: flags.includes('--quick'),
    resetRounds,
  });
}
