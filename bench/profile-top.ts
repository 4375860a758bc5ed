/**
 * Top self-time functions of a V8 CPU profile:
 * `node --cpu-prof --cpu-prof-dir=/tmp/prof bin/run-ts.js bench/child.ts '<job json>'`, then
 * `node bin/run-ts.js bench/profile-top.ts /tmp/prof/<file>.cpuprofile [count]`.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, countRaw] = process.argv.slice(2);
if (!file) throw new Error('usage: bench/profile-top.ts <file.cpuprofile> [count]');
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0;
  total += dt;
  const n = byId.get(id);
  if (!n) return;
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${relative(process.cwd(), url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + dt);
});
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(countRaw ?? 25));
process.stdout.write(`total ${(total / 1000).toFixed(0)} ms sampled\n`);
for (const [k, us] of top) process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}\n`);
