/**
 * A small benchmark harness. Contenders are measured in interleaved rounds (A B C, A B C, …) so that a
 * slow spell of a shared machine hurts all of them alike; each figure is the median of its rounds.
 */

export interface Measurement {
  name: string;
  nsPerOp: number;
}

export interface Contender {
  name: string;
  operation: () => Promise<unknown>;
  /** Operations per round; slow contenders run fewer. */
  iterations: number;
}

export interface CompareOptions {
  /** Timed rounds per contender; the median is reported. Default 9. */
  rounds?: number;
}

async function timeRound(contender: Contender): Promise<number> {
  const { operation, iterations } = contender;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await operation();
  return Number(process.hrtime.bigint() - start) / iterations;
}

export async function compare(
  contenders: Contender[],
  { rounds = 9 }: CompareOptions = {},
): Promise<Measurement[]> {
  for (const contender of contenders) await timeRound(contender); // warm-up
  const samples = contenders.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, contender] of contenders.entries()) {
      (globalThis as { gc?: () => void }).gc?.();
      samples[index]?.push(await timeRound(contender));
    }
  }
  return contenders.map((contender, index) => ({
    name: contender.name,
    nsPerOp: median(samples[index] ?? []),
  }));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export function formatNs(ns: number): string {
  if (ns >= 1_000_000) return `${(ns / 1_000_000).toFixed(2)} ms`;
  if (ns >= 1_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** Prints rows aligned, each with its ratio to `baseline` (how many times the baseline's cost). */
export function printTable(title: string, rows: Measurement[], baseline: Measurement): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((row) => row.name.length));
  for (const row of rows) {
    const ratio =
      row === baseline
        ? '  (baseline)'
        : `  ${(row.nsPerOp / baseline.nsPerOp).toFixed(2)}× ${baseline.name}`;
    console.log(`  ${row.name.padEnd(width)}  ${formatNs(row.nsPerOp).padStart(10)}/op${ratio}`);
  }
}

/** 0.4 → "0.40×", 0.0042 → "0.0042×": small ratios keep two significant digits. */
export function formatRatio(ratio: number): string {
  return `${ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2)}×`;
}

/** What `npm run bench` passes to each suite (bench/run.ts). */
export interface BenchOptions {
  /** Shorter runs: fewer rounds, smaller payloads. */
  quick: boolean;
  /** How many times bench/upload's reset phase goes over its seeds. */
  resetRounds: number;
}
