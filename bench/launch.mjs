/**
 * Launch: `paddock run -d shell <ws>` until the shell prompt is on a viewer's screen, vs
 * `docker run -d` (same image, same options) + `docker exec -it … bash -l` until its prompt.
 *
 * Paddock: clock starts before the CLI is spawned; the CLI returns once the sandbox runs; a
 * WebSocket viewer (the path `paddock attach` and the dashboard use) then sends hello and the
 * clock stops when a rendered screen line ends in a prompt (`$ `). Raw: clock starts before
 * `docker network create --internal` + `docker volume create` + `docker run -d` (the same engine
 * objects Paddock creates), then `docker exec -it` under a pty; stops at the same screen test.
 * Warm: the sandbox/container exists and is stopped; `paddock start` vs `docker start`.
 */
import { WsViewer, RawExec, PROMPT_RE } from './lib/viewer.mjs';
import { median, fmtMs, fmtRatio } from './lib/stats.mjs';
import { setupSandbox } from './lib/harness.mjs';

const ITERATIONS = Number(process.env.BENCH_LAUNCH_N ?? 2); // 2 per side keeps the row near ~6 min on 2 loaded cores; raise for quieter hosts
const PROMPT_TIMEOUT_MS = 120_000; // gVisor cold starts on a loaded host can take tens of seconds
const TARGET = { cold: 1.2, warm: 1.1 };

async function paddockPrompt(ctx, name) {
  const v = new WsViewer(ctx.daemon.socketPath, name);
  try {
    return await v.waitScreen(PROMPT_RE, PROMPT_TIMEOUT_MS, `prompt of ${name}`);
  } finally {
    await v.close();
  }
}

async function rawPrompt(container, workspace) {
  const v = new RawExec(container, ['bash', '-l'], { user: '1000:1000', workdir: workspace, env: { HOME: '/home/agent' } });
  try {
    return await v.waitScreen(PROMPT_RE, PROMPT_TIMEOUT_MS, `prompt of ${container}`);
  } finally {
    await v.close();
  }
}

async function measureTier(ctx, isolation) {
  const runtime = isolation === 'gvisor' ? 'runsc' : 'runc';
  const s = { paddock: { cold: [], warm: [], cli: [] }, raw: { cold: [], warm: [] } };
  for (let i = 0; i < ITERATIONS; i++) {
    // alternate which side goes first so a drifting background load does not favour one side
    const order = i % 2 ? ['raw', 'paddock'] : ['paddock', 'raw'];
    for (const side of order) {
      if (side === 'paddock') {
        const ws = ctx.daemon.workspace('launch');
        const name = `bl-${ctx.tag}-${isolation.slice(0, 3)}-${i}`;
        let t0 = performance.now();
        const r = await ctx.daemon.mustCli(['run', '-d', 'shell', ws, '--name', name, '--new', '--isolation', isolation]);
        s.paddock.cli.push(r.ms);
        s.paddock.cold.push((await paddockPrompt(ctx, name)) - t0);
        await ctx.daemon.mustCli(['stop', name]);
        t0 = performance.now();
        await ctx.daemon.mustCli(['start', name]);
        s.paddock.warm.push((await paddockPrompt(ctx, name)) - t0);
        await ctx.daemon.mustCli(['rm', '-f', name]);
      } else {
        const workspace = ctx.raw.workspace();
        let t0 = performance.now();
        const { name } = await ctx.raw.create({ runtime, workspace });
        s.raw.cold.push((await rawPrompt(name, workspace)) - t0);
        await ctx.docker(['stop', name]);
        t0 = performance.now();
        await ctx.docker(['start', name]);
        s.raw.warm.push((await rawPrompt(name, workspace)) - t0);
        await ctx.raw.remove(name);
      }
      ctx.log(`launch ${isolation} #${i} ${side} done`);
    }
  }
  return s;
}

export async function bench(ctx) {
  const rows = [];
  const details = {};
  const tiers = ['container'];
  if (ctx.runtimes.includes('runsc')) tiers.push('gvisor');
  else details.gvisor = 'not measured: runsc is not registered with the engine';
  // one unmeasured launch first: the egress proxy and any first-use work of paddockd happen once per daemon
  {
    const ws = ctx.daemon.workspace('warmup');
    const warm = await setupSandbox(ctx.daemon, `bl-${ctx.tag}-warmup`, ['shell', ws], ctx.warnings);
    await paddockPrompt(ctx, warm);
    await ctx.daemon.mustCli(['rm', '-f', warm]);
  }
  for (const isolation of tiers) {
    const s = await measureTier(ctx, isolation);
    details[isolation] = s;
    for (const kind of ['cold', 'warm']) {
      const p = median(s.paddock[kind]);
      const r = median(s.raw[kind]);
      rows.push({
        row: `launch ${kind} (${isolation})`,
        metric: 'median time to prompt',
        paddock: fmtMs(p),
        raw: fmtMs(r),
        ratio: p / r,
        ratioText: fmtRatio(p / r),
        target: `≤ ${TARGET[kind]}×`,
        met: p / r <= TARGET[kind],
        note: kind === 'cold' ? `CLI returned after ${fmtMs(median(s.paddock.cli))} (median); n=${ITERATIONS}` : `n=${ITERATIONS}`,
      });
    }
  }
  return { rows, details };
}
