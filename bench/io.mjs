/**
 * Workspace I/O: bench/io-workload.sh (10,000 small files created, read, stat'ed; one 1 GiB
 * sequential write with fsync) in a sandbox's bind-mounted workspace via `paddock exec`, vs the
 * same script on the host in a folder on the same filesystem. Ratio = host time / sandbox time
 * (1.0 = as fast as the host). Also reported for gVisor (runsc's gofer mediates every file op).
 * The note adds the same script in a raw docker twin (same image and options, `docker exec`):
 * what any container on this engine pays, e.g. the memory cgroup's accounting of new inodes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { must, setupSandbox } from './lib/harness.mjs';
import { median, fmtMs, fmtRatio } from './lib/stats.mjs';

const RUNS = Number(process.env.BENCH_IO_RUNS ?? 2);
const SCRIPT = readFileSync(fileURLToPath(new URL('./io-workload.sh', import.meta.url)), 'utf8');
const GVISOR_RUNS = 1; // gVisor's gofer makes the 10,000-file phase slow; one run keeps the row bounded
const OPS = ['create', 'read', 'stat', 'write1g'];
const TARGET = 0.9;

const parse = (out) => JSON.parse(out.trim().split('\n').pop());

export async function bench(ctx) {
  const { daemon } = ctx;
  const tiers = [{ isolation: 'container', name: ctx.probe.name, ws: ctx.probe.workspace }];
  if (ctx.runtimes.includes('runsc')) {
    const ws = daemon.workspace('io-gv');
    const name = await setupSandbox(daemon, `bio-${ctx.tag}-gvisor`, ['shell', ws, '--isolation', 'gvisor'], ctx.warnings);
    tiers.push({ isolation: 'gvisor', name, ws });
  }
  const hostDir = daemon.workspace('io-host');
  const details = { host: [] };
  for (const t of tiers) details[t.isolation] = [];
  const failed = {};
  const rawWs = ctx.raw.workspace();
  const twin = await ctx.raw.create({ runtime: 'runc', workspace: rawWs });
  details.rawDocker = [];
  for (let i = 0; i < RUNS; i++) {
    details.host.push(parse((await must('bash', ['-c', SCRIPT, 'io', hostDir])).stdout));
    details.rawDocker.push(parse((await must('docker', ['exec', '-u', '1000:1000', twin.name, 'bash', '-c', SCRIPT, 'io', rawWs])).stdout));
    for (const t of tiers) {
      if (failed[t.isolation] || (t.isolation === 'gvisor' && i >= GVISOR_RUNS)) continue;
      const r = await daemon.cli(['exec', t.name, '--', 'bash', '-c', SCRIPT, 'io', t.ws]);
      if (r.code !== 0) failed[t.isolation] = `paddock exec exited ${r.code}${r.code === 137 ? ' (killed: SIGKILL)' : ''}: ${(r.stderr || r.stdout).trim().slice(-200)}`;
      else details[t.isolation].push(parse(r.stdout));
      ctx.log(`io ${t.isolation} run ${i} ${failed[t.isolation] ? 'failed' : 'done'}`);
    }
  }
  await ctx.raw.remove(twin.name);
  details.failed = failed;
  const med = (side, op) => median(details[side].map((r) => r[op]));
  const rows = [];
  for (const t of tiers) {
    if (failed[t.isolation] && !details[t.isolation].length) {
      rows.push({ row: `workspace I/O (${t.isolation})`, metric: 'failed', paddock: '', raw: '', ratioText: 'n/a', target: '', met: t.isolation !== 'container', note: `failed: ${failed[t.isolation]}` });
      continue;
    }
    for (const op of OPS) {
      const p = med(t.isolation, op);
      const h = med('host', op);
      const ratio = h / Math.max(p, 1);
      const r = med('rawDocker', op);
      const gated = t.isolation === 'container';
      rows.push({
        row: `workspace I/O ${op} (${t.isolation})`, metric: op === 'write1g' ? '1 GiB dd + fsync' : `10,000 files`,
        paddock: fmtMs(p), raw: `${fmtMs(h)} (host)`, ratio, ratioText: fmtRatio(ratio),
        target: gated ? `≥ ${TARGET}×` : 'report', met: gated ? ratio >= TARGET : true,
        note: `speed vs host; median of ${details[t.isolation].length}; raw docker twin ${fmtMs(r)} (Paddock ${fmtRatio(r / Math.max(p, 1))} of it)`,
      });
    }
  }
  return { rows, details };
}
