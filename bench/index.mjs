/**
 * Paddock's benchmark suite: each row a ratio against raw docker, measured in the same run on the
 * same machine with the same image and options. See bench/README.md.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { BenchDaemon, ROOT, docker, mustDocker, reapByLabel, reapEarlierBenchRuns, setupSandbox, TEST_LABEL } from './lib/harness.mjs';
import { WsViewer, PROMPT_RE } from './lib/viewer.mjs';
import { RawDocker } from './lib/raw.mjs';

export const BENCHES = ['launch', 'terminal', 'density', 'parallel', 'io', 'dashboard'];

export async function main(argv) {
  const wanted = argv.filter((a) => !a.startsWith('-'));
  for (const w of wanted) if (!BENCHES.includes(w)) throw new Error(`unknown bench "${w}"; use ${BENCHES.join(', ')}`);
  const selected = wanted.length ? BENCHES.filter((b) => wanted.includes(b)) : BENCHES;
  const runId = `bench${Date.now().toString(36)}`;
  const log = (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  const daemon = new BenchDaemon(runId);
  const started = new Date();
  const load = { before: loadavg() };
  let interrupted = false;
  let raw = null;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted: reaping everything labelled ' + daemon.label);
    void daemon.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results = { runId, started: started.toISOString(), host: { cpus: cpus().length, memBytes: totalmem() }, selected, rows: [], details: {}, errors: {} };
  try {
    const leftovers = reapEarlierBenchRuns();
    if (leftovers.length) log(`reaped leftovers of earlier bench runs: ${leftovers.join(' ')}`);
    log(`run ${runId}: starting paddockd`);
    await daemon.start();
    // Paddock's shell image: create one sandbox and read `.image` from `paddock ls --json`.
    const probeWs = daemon.workspace('probe');
    const warnings = [];
    const probeName = await setupSandbox(daemon, `bench-probe-${runId.slice(-5)}`, ['shell', probeWs], warnings);
    const pv = new WsViewer(daemon.socketPath, probeName);
    await pv.waitScreen(PROMPT_RE, 120_000, 'the probe sandbox prompt').finally(() => pv.close());
    const list = JSON.parse((await daemon.mustCli(['ls', '--json'])).stdout);
    const probe = list.find((s) => s.name === probeName && s.workspace === probeWs);
    if (!probe) throw new Error('the probe sandbox is missing from `paddock ls --json`');
    const image = probe.image;
    const runtimes = JSON.parse((await mustDocker(['info', '--format', '{{json .Runtimes}}'])).stdout);
    const engine = (await mustDocker(['version', '--format', '{{.Server.Version}}'])).stdout.trim();
    Object.assign(results, { image, engine, runtimes: Object.keys(runtimes) });
    log(`image ${image}, engine ${engine}, runtimes ${Object.keys(runtimes).join(' ')}`);
    results.warnings = warnings;
    raw = new RawDocker(runId, image);
    const ctx = { tag: runId.slice(-5), warnings, runId, daemon, image, probe, runtimes: Object.keys(runtimes), raw, docker, log, root: ROOT };

    for (const name of selected) {
      if (interrupted) break;
      const t0 = Date.now();
      log(`▶ ${name}`);
      try {
        const mod = await import(`./${name}.mjs`);
        const { rows, details } = await mod.bench(ctx);
        results.rows.push(...rows);
        results.details[name] = details;
      } catch (err) {
        log(`${name} failed: ${err.stack ?? err}`);
        results.errors[name] = String(err.message ?? err);
        results.rows.push({ row: name, metric: 'failed', paddock: '', raw: '', ratioText: 'n/a', target: '', met: false, note: `failed: ${String(err.message ?? err).split('\n')[0].slice(0, 160)}` });
      }
      log(`■ ${name} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    load.after = loadavg();
    results.load = load;
    results.finished = new Date().toISOString();
    log('stopping paddockd and reaping ' + daemon.label);
    await daemon.stop();
    for (const d of raw?.workspaces ?? []) rmSync(d, { recursive: true, force: true });
    reapByLabel(`${TEST_LABEL}=${runId}`);
  }
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(table(results));
  for (const w of results.warnings ?? []) console.log(`warning: ${w}`);
  console.log(`\nload average ${load.before.map((x) => x.toFixed(1)).join(' ')} → ${load.after.map((x) => x.toFixed(1)).join(' ')} on ${results.host.cpus} cores; results: ${file}`);
  return Object.keys(results.errors).length ? 1 : 0;
}

export function table(results) {
  const head = ['row', 'metric', 'paddock', 'raw docker', 'ratio', 'target', 'met', 'note'];
  const body = results.rows.map((r) => [r.row, r.metric, r.paddock, r.raw, r.ratioText ?? '', r.target ?? '', r.target ? (r.met ? 'yes' : 'NO') : '', r.note ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' │ ').trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...body.map(line)].join('\n');
}
