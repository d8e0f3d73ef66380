/**
 * Top self-time functions of a V8 CPU profile (`pnpm bench --profile` writes them to
 * bench/results/profiles/), and self time per package.
 *
 *   tsx bench/profile-summary.ts bench/results/profiles/strom-*.cpuprofile [--top 25] [--from <ms>]
 *
 * `--from` skips the first milliseconds of the profile (start-up); by default the whole
 * profile counts, idle time excluded.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, from: { type: 'string', default: '0' } },
});
if (positionals.length === 0) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile>... [--top 25] [--from ms]');
  process.exit(2);
}

/** Where a function lives: a package name, "packages/core/src/...", or "node:..." */
function origin(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm) return pnpm[1]!;
  const core = /packages\/core\/(?:dist|src)\/(.+)$/.exec(url);
  if (core) return `@strom/core ${core[1]!.split('/')[0]}`;
  const bench = /bench\/\.build\/(.+)$/.exec(url);
  if (bench) return `bench ${bench[1]}`;
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/.*\/packages\//, 'packages/')
    .replace(/.*\/bench\/\.build\//, 'bench/');
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const fromUs = Number(values.from) * 1000;
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      if (functionName === '(idle)') idle += us;
      else total += us;
      if (functionName === '(idle)') continue;
    } else total += us;
    const key = `${functionName || '(anonymous)'}  ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const o = functionName === '(garbage collector)' ? 'GC' : origin(url);
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  console.log(`\n${file}: ${(total / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle`);
  console.log('\nself time by origin:');
  for (const [o, us] of [...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${pct(us)}  ${o}`);
  console.log(`\ntop ${values.top} functions by self time:`);
  for (const [f, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`  ${pct(us)}  ${f}`);
}
