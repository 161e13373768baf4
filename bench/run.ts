/**
 * `npm run bench` runs every benchmark; `npm run bench -- policies` runs one; `--quick` shortens them.
 * Figures are ratios against peers measured in the same run, never against numbers from elsewhere.
 */
import { benchPolicies } from './policies.js';
import { benchProxy } from './proxy.js';
import { benchQueue } from './queue.js';
import { benchUpload } from './upload.js';

const suites: Record<string, (quick: boolean) => Promise<unknown>> = {
  policies: benchPolicies,
  proxy: benchProxy,
  queue: benchQueue,
  upload: benchUpload,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((arg) => !arg.startsWith('--'));
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (known: ${Object.keys(suites).join(', ')})`);
  process.exit(2);
}
console.log(`lifeline benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) {
  console.log(`\n== ${name} ==`);
  await (suites[name] as (quick: boolean) => Promise<unknown>)(quick);
}
