/**
 * Density: N idle shell sandboxes (BENCH_DENSITY, default 50) vs N bare `docker run … sleep`
 * containers of the same image. Memory of a container = PSS (smaps_rollup) summed over the
 * processes in its memory cgroup; cgroup memory usage is recorded too. The engine's own cost
 * (containerd-shim) is the same on both sides and reported apart. Paddock's per-sandbox cost adds
 * its share of paddockd's growth and of the egress proxy container.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { api, docker, mustDocker, pssOf, rssOf, sleep } from './lib/harness.mjs';
import { median, mean, fmtMs, fmtMB, fmtRatio } from './lib/stats.mjs';

const N = Number(process.env.BENCH_DENSITY ?? 50);
const CONCURRENCY = 4; // creates in flight at once: keeps a 2-core host responsive and the row under ~10 min
const SETTLE_MS = 5000; // let freshly started shells finish their startup before measuring
const LS_RUNS = 5;
const TARGET_PADDOCKD_BYTES = 150 * 1024 * 1024;
const TARGET_OVERHEAD_BYTES = 2 * 1024 * 1024;

async function pool(items, n, fn) {
  const out = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

function cgroupDir(id) {
  for (const d of [`/sys/fs/cgroup/memory/docker/${id}`, `/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]) if (existsSync(d)) return d;
  return null;
}

function containerMemory(id, shims) {
  const dir = cgroupDir(id);
  let pss = 0;
  let usage = NaN;
  let procs = 0;
  if (dir) {
    const pids = readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
    procs = pids.length;
    for (const p of pids) pss += pssOf(p);
    for (const f of ['memory.usage_in_bytes', 'memory.current']) if (existsSync(`${dir}/${f}`)) usage = Number(readFileSync(`${dir}/${f}`, 'utf8'));
  }
  const shim = shims.get(id);
  return { pss, usage, procs, shimPss: shim ? pssOf(shim) : NaN };
}

/** containerd-shim processes by container id (`-id <id>` on their command line). */
function shimsById() {
  const m = new Map();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (!/containerd-shim/.test(cmd[0] ?? '')) continue;
      const i = cmd.indexOf('-id');
      if (i >= 0) m.set(cmd[i + 1], Number(p));
    } catch {
      /* exited */
    }
  }
  return m;
}

async function fullIds(names) {
  const r = await mustDocker(['inspect', '--format', '{{.Id}}', ...names]);
  return r.stdout.trim().split('\n');
}

async function timeLs(ctx) {
  const xs = [];
  let listed = 0;
  for (let i = 0; i < LS_RUNS; i++) {
    const r = await ctx.daemon.mustCli(['ls', '--json']);
    xs.push(r.ms);
    listed = JSON.parse(r.stdout).length;
  }
  return { ms: median(xs), listed };
}

async function timeDockerPs(label) {
  const xs = [];
  for (let i = 0; i < LS_RUNS; i++) xs.push((await mustDocker(['ps', '-a', '--filter', `label=${label}`, '--format', '{{json .}}'])).ms);
  return median(xs);
}

export async function bench(ctx) {
  const { daemon } = ctx;
  const details = { n: N };
  await sleep(2000);
  details.paddockdBefore = rssOf(daemon.pid);
  details.lsBefore = await timeLs(ctx);
  const names = Array.from({ length: N }, (_, i) => `bd-${ctx.tag}-${i}`);
  const rawNames = [];
  try {
    let t0 = performance.now();
    await pool(names, CONCURRENCY, (name) => api(daemon, 'POST', '/sandboxes', { agent: 'shell', workspace: daemon.workspace('dens'), name, start: true }));
    details.paddockCreateMs = performance.now() - t0;
    ctx.log(`density: ${N} paddock sandboxes up`);
    t0 = performance.now();
    await pool(names, CONCURRENCY, async (_, i) => {
      const name = `bench-raw-${ctx.runId}-sleep-${i}`;
      await mustDocker(['run', '-d', '--name', name, ...ctx.raw.labelArgs, '--network', 'none', '--entrypoint', 'sleep', ctx.image, 'infinity']);
      rawNames.push(name);
    });
    details.rawCreateMs = performance.now() - t0;
    ctx.log(`density: ${N} bare sleep containers up`);
    await sleep(SETTLE_MS);

    const shims = shimsById();
    const pIds = await fullIds(names);
    const rIds = await fullIds(rawNames);
    const pMem = pIds.map((id) => containerMemory(id, shims));
    const rMem = rIds.map((id) => containerMemory(id, shims));
    const egress = (await docker(['ps', '-q', '--no-trunc', '--filter', `label=io.paddock.test=${ctx.runId}`, '--filter', 'label=io.paddock.kind=egress'])).stdout.trim().split('\n').filter(Boolean);
    const egressPss = (await Promise.all(egress.map((id) => containerMemory(id, shims)))).reduce((s, m) => s + m.pss, 0);
    details.paddockdAtN = rssOf(daemon.pid);
    details.lsAtN = await timeLs(ctx);
    details.dockerPsAtN = await timeDockerPs(`io.paddock.test=${ctx.runId}`);
    details.paddock = { pss: mean(pMem.map((m) => m.pss)), usage: mean(pMem.map((m) => m.usage)), procs: mean(pMem.map((m) => m.procs)), shimPss: mean(pMem.map((m) => m.shimPss)) };
    details.raw = { pss: mean(rMem.map((m) => m.pss)), usage: mean(rMem.map((m) => m.usage)), procs: mean(rMem.map((m) => m.procs)), shimPss: mean(rMem.map((m) => m.shimPss)) };
    details.egressPss = egressPss;
  } finally {
    await pool(names, CONCURRENCY, (name) => api(daemon, 'DELETE', `/sandboxes/${name}?force=true`).catch(() => {}));
    if (rawNames.length) await docker(['rm', '-f', ...rawNames]);
    ctx.log('density: removed');
  }
  const daemonShare = Math.max(0, details.paddockdAtN - details.paddockdBefore) / N;
  const perSandbox = details.paddock.pss + daemonShare + details.egressPss / N;
  const overhead = perSandbox - details.raw.pss;
  const rows = [
    {
      row: `density: memory per sandbox (${N})`, metric: 'PSS of the container (+ paddockd, egress share)', paddock: fmtMB(perSandbox), raw: fmtMB(details.raw.pss),
      ratio: perSandbox / details.raw.pss, ratioText: `+${fmtMB(overhead)}`, target: 'overhead ≤ 2 MB', met: overhead <= TARGET_OVERHEAD_BYTES,
      note: `container ${fmtMB(details.paddock.pss)} in ${details.paddock.procs.toFixed(0)} procs vs ${details.raw.procs.toFixed(0)}; cgroup usage ${fmtMB(details.paddock.usage)} vs ${fmtMB(details.raw.usage)}; shim ${fmtMB(details.paddock.shimPss)} both sides`,
    },
    {
      row: `density: paddockd RSS at ${N}`, metric: 'VmRSS', paddock: fmtMB(details.paddockdAtN), raw: '—', ratio: NaN, ratioText: '', target: '≤ 150 MB',
      met: details.paddockdAtN <= TARGET_PADDOCKD_BYTES, note: `${fmtMB(details.paddockdBefore)} before the ${N} sandboxes`,
    },
    {
      row: `density: ls at ${N}`, metric: 'paddock ls --json vs docker ps (median)', paddock: fmtMs(details.lsAtN.ms), raw: fmtMs(details.dockerPsAtN),
      ratio: details.lsAtN.ms / details.dockerPsAtN, ratioText: fmtRatio(details.lsAtN.ms / details.dockerPsAtN), target: '', met: true,
      note: `listed ${details.lsAtN.listed} (paddockd sees every Paddock sandbox on the engine, other runs' too); ${fmtMs(details.lsBefore.ms)} at ${details.lsBefore.listed}`,
    },
  ];
  return { rows, details };
}
