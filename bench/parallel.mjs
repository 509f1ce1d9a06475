/**
 * Parallel launch: 20 `paddock run -d shell` CLIs started at once (each its own workspace) vs 20
 * raw launches at once with the same options (network + volume + `docker run -d`). Wall time
 * until the last returns and every sandbox reports running; any failure fails the row.
 */
import { api, mustDocker } from './lib/harness.mjs';
import { fmtMs, fmtRatio } from './lib/stats.mjs';

const COUNT = Number(process.env.BENCH_PARALLEL ?? 20);

export async function bench(ctx) {
  const { daemon } = ctx;
  const names = Array.from({ length: COUNT }, (_, i) => `bp-${ctx.tag}-${i}`);
  const details = {};
  const rawNames = [];
  try {
    const wss = names.map(() => daemon.workspace('par'));
    let t0 = performance.now();
    const results = await Promise.all(names.map((n, i) => daemon.cli(['run', '-d', 'shell', wss[i], '--name', n])));
    details.paddockMs = performance.now() - t0;
    const failed = results.map((r, i) => ({ r, n: names[i] })).filter(({ r }) => r.code !== 0);
    if (failed.length) throw new Error(`${failed.length}/${COUNT} paddock launches failed, e.g. ${failed[0].n}: ${(failed[0].r.stderr || failed[0].r.stdout).trim().slice(0, 300)}`);
    const states = await Promise.all(names.map((n) => api(daemon, 'GET', `/sandboxes/${n}`)));
    const notRunning = states.filter((s) => s.state !== 'running');
    if (notRunning.length) throw new Error(`${notRunning.length} sandboxes not running after launch, e.g. ${notRunning[0].name}: ${notRunning[0].state}`);
    ctx.log('parallel: paddock done');

    t0 = performance.now();
    const raws = await Promise.all(names.map((_, i) => ctx.raw.create({ name: `bench-raw-${ctx.runId}-par-${i}` }).then((r) => (rawNames.push(r.name), r))));
    details.rawMs = performance.now() - t0;
    const running = (await mustDocker(['inspect', '--format', '{{.State.Running}}', ...raws.map((r) => r.name)])).stdout.trim().split('\n');
    if (running.some((x) => x !== 'true')) throw new Error('some raw containers are not running');
    ctx.log('parallel: raw done');
  } finally {
    await Promise.all(names.map((n) => api(daemon, 'DELETE', `/sandboxes/${n}?force=true`).catch(() => {})));
    await Promise.all(rawNames.map((n) => ctx.raw.remove(n)));
  }
  const ratio = details.paddockMs / details.rawMs;
  return {
    rows: [{ row: `parallel launch (${COUNT})`, metric: 'wall time, all running', paddock: fmtMs(details.paddockMs), raw: fmtMs(details.rawMs), ratio, ratioText: fmtRatio(ratio), target: 'all succeed', met: true, note: `${COUNT}/${COUNT} succeeded on both sides` }],
    details,
  };
}
