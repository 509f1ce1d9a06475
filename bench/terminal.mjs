/**
 * Terminal: paddockd's WebSocket path (tmux client per viewer over a TTY exec → paddockd → ws →
 * @xterm/headless with acks from the write callback) vs raw `docker exec -it` of bash in the
 * SAME sandbox, run under `script` (a local pty, as in a person's terminal) and rendered into
 * the same @xterm/headless. Every measurement happens in an already-open session, so neither
 * side pays its exec setup inside the clock.
 */
import { WsViewer, RawExec, PROMPT_RE } from './lib/viewer.mjs';
import { api, childrenOf, mustDocker, rssOf, sleep } from './lib/harness.mjs';
import { median, quantile, fmtMs, fmtMB, fmtRatio } from './lib/stats.mjs';

const FILE = '/tmp/bench-64m';
const FILE_BYTES = 64 * 1024 * 1024; // the issue's 64 MB `cat`
const THROUGHPUT_RUNS = Number(process.env.BENCH_TERMINAL_RUNS ?? 2);
const ECHO_SAMPLES = Number(process.env.BENCH_ECHO_SAMPLES ?? 100);
const ECHO_LINE = 40; // clear the line with Ctrl-U every 40 keystrokes so it never wraps
const ECHO_GAP_MS = 10; // a fast typist; keeps samples independent
const FLOOD_WARMUP_MS = 1500; // let `yes` fill every buffer before measuring under load
const CTRL_C_RUNS = 3;
const VIEWERS = 20; // the issue's 20 attached sessions
const PROMPT = 'BENCHPROMPT> ';
const PS1_CMD = `PS1='BENCH''PROMPT> '\r`; // typed as two quoted halves so the echo never matches the prompt
const PROMPT_LINE = /^BENCHPROMPT> $/;
const STEP_TIMEOUT_MS = 180_000; // a 64 MB cat on a loaded 2-core host

async function ready(term) {
  await term.waitScreen(PROMPT_RE, 60_000, 'first prompt');
  term.type(PS1_CMD);
  await term.waitScreen(PROMPT_LINE, 30_000, 'bench prompt');
  await sleep(200);
}

async function throughput(term) {
  const before = term.received;
  const t0 = performance.now();
  term.type(`cat ${FILE}; echo BENCH''DONE\r`);
  const t1 = await term.waitScreen(/BENCHDONE$/, STEP_TIMEOUT_MS, 'end of the 64 MB cat');
  await term.waitScreen(PROMPT_LINE, 30_000, 'prompt after cat');
  term.type('clear\r');
  await sleep(300);
  return { ms: t1 - t0, mbps: FILE_BYTES / 1024 / 1024 / ((t1 - t0) / 1000), deliveredBytes: term.received - before };
}

async function echo(term, n) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    if (i % ECHO_LINE === 0) {
      term.type('\x15'); // Ctrl-U: clear the line
      await sleep(100);
    }
    term.tail = '';
    const t0 = performance.now();
    const got = term.waitBytes(/x/, 30_000, 'keystroke echo');
    term.type('x');
    xs.push((await got) - t0);
    await sleep(ECHO_GAP_MS);
  }
  term.type('\x15');
  await sleep(100);
  return xs;
}

async function ctrlC(term) {
  term.type('yes\r');
  await sleep(FLOOD_WARMUP_MS);
  const t0 = performance.now();
  term.type('\x03');
  const t1 = await term.waitScreen(PROMPT_LINE, 60_000, 'prompt after Ctrl-C');
  term.type('clear\r');
  await sleep(500);
  return t1 - t0;
}

export async function bench(ctx) {
  const { daemon, probe } = ctx;
  const container = probe.id;
  const ws = probe.workspace;
  await mustDocker(['exec', container, 'sh', '-c', `head -c ${FILE_BYTES} /dev/urandom | base64 -w 100 | head -c ${FILE_BYTES - 1} > ${FILE}; echo >> ${FILE}; chmod 644 ${FILE}`]);
  const rawOpts = { user: '1000:1000', workdir: ws, env: { HOME: '/home/agent' } };
  const details = { throughput: { paddock: [], raw: [] }, echoIdle: {}, echoLoaded: {}, ctrlC: { paddock: [], raw: [] }, rss: {} };

  let pv = new WsViewer(daemon.socketPath, probe.name);
  let rv = new RawExec(container, ['bash', '-l'], rawOpts);
  details.throughput.failures = [];
  try {
    await ready(pv);
    await ready(rv);
    for (let i = 0; i < THROUGHPUT_RUNS; i++) {
      for (const side of i % 2 ? ['raw', 'paddock'] : ['paddock', 'raw']) {
        const term = side === 'paddock' ? pv : rv;
        try {
          details.throughput[side].push(await throughput(term));
          ctx.log(`terminal throughput ${side}: ${details.throughput[side].at(-1).mbps.toFixed(1)} MB/s`);
        } catch (err) {
          // recorded and shown in the row; the other measurements go on with a fresh session
          const shown = term.screen().filter((l) => l.trim()).slice(-2).join(' / ');
          details.throughput.failures.push(`${side}: ${String(err.message).split('\n')[0]} (screen ends: ${shown.slice(0, 120)})`);
          ctx.log(`terminal throughput ${side} failed: ${details.throughput.failures.at(-1)}`);
          await term.close();
          if (side === 'paddock') await ready((pv = new WsViewer(daemon.socketPath, probe.name)));
          else await ready((rv = new RawExec(container, ['bash', '-l'], rawOpts)));
        }
      }
    }
    details.echoIdle.paddock = await echo(pv, ECHO_SAMPLES);
    details.echoIdle.raw = await echo(rv, ECHO_SAMPLES);
    ctx.log('terminal echo idle done');

    // `yes` in another session of the same sandbox, drained as fast as it comes (no parsing)
    const shell = await api(daemon, 'POST', `/sandboxes/${probe.name}/sessions`);
    const pFlood = new WsViewer(daemon.socketPath, probe.name, { session: shell.id, render: false });
    const rFlood = new RawExec(container, ['yes'], { ...rawOpts, interactive: false, render: false });
    try {
      await pFlood.waitBytes(/[$#] ?/, 60_000, 'flood session prompt');
      await sleep(300);
      pFlood.type('yes\r');
      await sleep(FLOOD_WARMUP_MS);
      const pBytes0 = pFlood.received;
      const rBytes0 = rFlood.received;
      details.echoLoaded.paddock = await echo(pv, ECHO_SAMPLES);
      details.echoLoaded.raw = await echo(rv, ECHO_SAMPLES);
      details.echoLoaded.floodBytes = { paddock: pFlood.received - pBytes0, raw: rFlood.received - rBytes0 };
      pFlood.type('\x03');
    } finally {
      await pFlood.close();
      await rFlood.close();
      await api(daemon, 'DELETE', `/sandboxes/${probe.name}/sessions/${shell.id}`).catch(() => {});
    }
    ctx.log('terminal echo under yes done');

    for (let i = 0; i < CTRL_C_RUNS; i++) {
      details.ctrlC.paddock.push(await ctrlC(pv));
      details.ctrlC.raw.push(await ctrlC(rv));
    }
    ctx.log('terminal ctrl-c done');
  } finally {
    await pv.close();
    await rv.close();
  }

  // paddockd RSS with 20 viewers on 20 sessions (agent + 19 shells), vs 20 `docker exec -it` CLIs
  const rssIdle = rssOf(daemon.pid);
  const sessions = ['agent'];
  for (let i = 1; i < VIEWERS; i++) sessions.push((await api(daemon, 'POST', `/sandboxes/${probe.name}/sessions`)).id);
  const viewers = sessions.map((s) => new WsViewer(daemon.socketPath, probe.name, { session: s, render: false }));
  const raws = [];
  try {
    await Promise.all(viewers.map((v) => v.waitBytes(/./, 120_000, 'first bytes of a viewer')));
    await sleep(2000);
    details.rss.paddockdIdle = rssIdle;
    details.rss.paddockd20 = rssOf(daemon.pid);
    for (let i = 0; i < VIEWERS; i++) raws.push(new RawExec(container, ['bash', '-l'], { ...rawOpts, render: false }));
    await Promise.all(raws.map((r) => r.waitBytes(/[$#] ?/, 120_000, 'raw prompt')));
    await sleep(1000);
    // `script` → docker CLI: count the docker CLI processes (what a person running 20 `docker exec -it` has)
    details.rss.rawDockerCli20 = raws.reduce((sum, r) => sum + childrenOf(r.proc.pid).reduce((s, pid) => s + rssOf(pid), 0), 0);
  } finally {
    await Promise.all(viewers.map((v) => v.close()));
    await Promise.all(raws.map((r) => r.close()));
    for (const s of sessions.slice(1)) await api(daemon, 'DELETE', `/sandboxes/${probe.name}/sessions/${s}`).catch(() => {});
  }

  const tp = { paddock: median(details.throughput.paddock.map((x) => x.mbps)), raw: median(details.throughput.raw.map((x) => x.mbps)) };
  const delivered = median(details.throughput.paddock.map((x) => x.deliveredBytes));
  const fails = details.throughput.failures;
  const rows = [
    {
      row: 'terminal throughput', metric: '64 MB cat, MB/s (median)', paddock: `${tp.paddock.toFixed(1)} MB/s`, raw: `${tp.raw.toFixed(1)} MB/s`,
      ratio: tp.paddock / tp.raw, ratioText: fmtRatio(tp.paddock / tp.raw), target: '≥ 0.8×', met: tp.paddock / tp.raw >= 0.8 && !fails.length,
      note: `bytes reaching the paddock viewer: ${fmtMB(delivered)} (tmux redraws, it does not relay every byte); n=${details.throughput.paddock.length}/${details.throughput.raw.length}${fails.length ? `; FAILED ${fails.length}×: ${fails[0].slice(0, 160)}` : ''}`,
    },
  ];
  for (const [key, label] of [['echoIdle', 'idle'], ['echoLoaded', 'under yes']]) {
    const p = details[key].paddock;
    const r = details[key].raw;
    const p99 = quantile(p, 0.99);
    const r99 = quantile(r, 0.99);
    rows.push({
      row: `echo latency (${label})`, metric: 'p50 / p99', paddock: `${fmtMs(median(p))} / ${fmtMs(p99)}`, raw: `${fmtMs(median(r))} / ${fmtMs(r99)}`,
      ratio: p99 / r99, ratioText: `p99 +${fmtMs(p99 - r99)}`, target: 'p99 ≤ raw + 5 ms', met: p99 <= r99 + 5, note: `n=${p.length} keystrokes each`,
    });
  }
  const cp = median(details.ctrlC.paddock);
  const cr = median(details.ctrlC.raw);
  rows.push({ row: 'Ctrl-C under yes', metric: 'until the prompt is back (median)', paddock: fmtMs(cp), raw: fmtMs(cr), ratio: cp / cr, ratioText: fmtRatio(cp / cr), target: '', met: true, note: `n=${CTRL_C_RUNS}` });
  rows.push({
    row: 'RSS with 20 viewers', metric: 'paddockd RSS vs 20 docker exec CLIs', paddock: fmtMB(details.rss.paddockd20), raw: fmtMB(details.rss.rawDockerCli20),
    ratio: details.rss.paddockd20 / details.rss.rawDockerCli20, ratioText: fmtRatio(details.rss.paddockd20 / details.rss.rawDockerCli20), target: '', met: true,
    note: `paddockd ${fmtMB(details.rss.paddockdIdle)} before attaching (+${fmtMB(details.rss.paddockd20 - details.rss.paddockdIdle)})`,
  });
  return { rows, details };
}
