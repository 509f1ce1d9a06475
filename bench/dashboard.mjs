/**
 * Dashboard: the real UI served by the bench's paddockd, in Debian's Chromium driven by
 * playwright-core (never `playwright install`). Eight terminal panes (the probe sandbox's agent
 * session + 7 shell sessions) are opened through the UI's persisted pane list; each pane is
 * then given `yes` for a fixed window. Measured in the page: frames per second
 * (requestAnimationFrame), long tasks (PerformanceObserver), JS heap (CDP Performance metrics);
 * first contentful paint of the login → dashboard load; bundle size on disk (ui/dist).
 * "Raw" here is the same page idle: what streaming costs the page.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { api, mustDocker, sleep, ROOT } from './lib/harness.mjs';
import { fmtMB, fmtMs, fmtRatio } from './lib/stats.mjs';

const PANES = 8;
const WINDOW_MS = Number(process.env.BENCH_DASHBOARD_MS ?? 10_000); // one measuring window, idle and streaming
const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FLOOD = `timeout ${Math.ceil(WINDOW_MS / 1000) + 5} yes 'paddock dashboard bench: the quick brown fox jumps over the lazy dog 0123456789'`;

function notMeasured(reason) {
  return { rows: [{ row: 'dashboard', metric: '8 panes streaming', paddock: '', raw: '', ratioText: 'n/a', target: '', met: true, note: `not measured: ${reason}` }], details: { notMeasured: reason } };
}

function bundle() {
  const dir = join(ROOT, 'ui', 'dist', 'assets');
  let raw = 0;
  let gz = 0;
  let initial = 0;
  const index = readFileSync(join(ROOT, 'ui', 'dist', 'index.html'), 'utf8');
  for (const f of readdirSync(dir).filter((x) => /\.(js|css)$/.test(x))) {
    const buf = readFileSync(join(dir, f));
    raw += statSync(join(dir, f)).size;
    gz += gzipSync(buf).length;
    if (index.includes(f)) initial += gzipSync(buf).length;
  }
  return { raw, gz, initialGz: initial };
}

/** fps, long tasks and heap over one window, measured inside the page. */
async function window(page, cdp) {
  const heapBefore = await heap(cdp);
  const r = await page.evaluate(async (ms) => {
    let frames = 0;
    const longTasks = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => longTasks.push(e.duration)));
    try {
      obs.observe({ type: 'longtask', buffered: false });
    } catch {
      /* not supported */
    }
    const t0 = performance.now();
    let worst = 0;
    let last = t0;
    await new Promise((resolve) => {
      const tick = (t) => {
        frames++;
        worst = Math.max(worst, t - last);
        last = t;
        if (t - t0 < ms) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    obs.disconnect();
    const elapsed = performance.now() - t0;
    return { fps: (frames * 1000) / elapsed, worstFrameMs: worst, longTasks: longTasks.length, longTaskMs: longTasks.reduce((a, b) => a + b, 0) };
  }, WINDOW_MS);
  return { ...r, heapBefore, heapAfter: await heap(cdp) };
}

async function heap(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
}

export async function bench(ctx) {
  if (!existsSync(join(ROOT, 'ui', 'dist', 'index.html'))) return notMeasured('ui/dist is not built (npm run build -w ui)');
  if (!existsSync(CHROMIUM)) return notMeasured(`${CHROMIUM} is missing (scripts/install-browser.sh installs Debian's chromium)`);
  const require = createRequire(join(ROOT, 'package.json'));
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch {
    return notMeasured('playwright-core is not installed');
  }
  const { daemon, probe } = ctx;
  const login = JSON.parse((await daemon.mustCli(['dashboard', '--no-open', '--json'])).stdout).url;
  const sessions = ['agent'];
  const details = { bundle: bundle() };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    for (let i = 1; i < PANES; i++) sessions.push((await api(daemon, 'POST', `/sandboxes/${probe.name}/sessions`)).id);
    const panes = sessions.map((s) => ({ id: `${probe.name}/${s}`, sandbox: probe.name, session: s, title: s }));
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    // the UI's own persisted pane list (ui/src/state/panes.ts), so the panes open as after a reload
    await page.addInitScript((state) => {
      if (!localStorage.getItem('paddock.panes.v1')) localStorage.setItem('paddock.panes.v1', JSON.stringify({ state, version: 0 }));
    }, { panes, mru: panes.map((p) => p.id), mode: 'grid', maximized: null, colSplit: 0.5, rowSplit: 0.5 });
    const t0 = Date.now();
    await page.goto(login, { waitUntil: 'load' });
    // the paint entry can land after `load` (the login answer is a redirect, the app paints once its chunks arrive)
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 15_000 }).catch(() => {});
    details.fcpMs = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
    details.loadMs = Date.now() - t0;
    details.transferred = await page.evaluate(() => performance.getEntriesByType('resource').reduce((s, e) => s + (e.transferSize || 0), 0) + (performance.getEntriesByType('navigation')[0]?.transferSize ?? 0));
    const nav = page.getByTestId('nav-terminals');
    if (await nav.count()) await nav.click();
    try {
      await page.waitForFunction((n) => Object.keys(window.__paddockTerminals ?? {}).length >= n, PANES, { timeout: 60_000 });
    } catch {
      const n = await page.evaluate(() => Object.keys(window.__paddockTerminals ?? {}).length);
      return notMeasured(`only ${n} of ${PANES} panes came up in the dashboard within 60 s`);
    }
    await page.waitForFunction((ids) => ids.every((id) => /[$#] ?\s*$/m.test(window.__paddockTerminals[id]?.text() ?? '')), panes.map((p) => p.id), { timeout: 60_000 });
    details.renderers = await page.evaluate(() => Object.fromEntries(Object.entries(window.__paddockTerminals).map(([k, v]) => [k, v.renderer?.()])));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    details.idle = await window(page, cdp);
    // flood every pane: tmux send-keys into each session (a pane hidden by the 2×2 grid has no DOM to type into,
    // and an extra viewer would add a tmux client of its own)
    for (const s of sessions) await mustDocker(['exec', '-u', `${probe.uid}:${probe.gid}`, probe.id, 'tmux', '-S', s === 'agent' ? '/run/paddock/tmux.sock' : `/run/paddock/tmux-${s}.sock`, 'send-keys', '-t', `=${s}:`, FLOOD, 'Enter']);
    await sleep(1000);
    details.streaming = await window(page, cdp);
    details.rendererRss = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? NaN);
    await sleep(6000); // let the floods end (they are bounded by `timeout`)
  } finally {
    await browser.close();
    for (const s of sessions.slice(1)) await api(daemon, 'DELETE', `/sandboxes/${probe.name}/sessions/${s}`).catch(() => {});
  }
  const { idle, streaming } = details;
  const visible = Object.values(details.renderers).filter(Boolean);
  return {
    rows: [
      {
        row: 'dashboard fps (8 panes)', metric: 'streaming vs idle', paddock: `${streaming.fps.toFixed(0)} fps`, raw: `${idle.fps.toFixed(0)} fps idle`, ratio: streaming.fps / idle.fps,
        ratioText: fmtRatio(streaming.fps / idle.fps), target: 'report', met: true,
        note: `worst frame ${fmtMs(streaming.worstFrameMs)}; renderers ${[...new Set(visible)].join('/') || 'n/a'}; 4 visible (2×2 grid), 4 mounted hidden`,
      },
      {
        row: 'dashboard long tasks', metric: `in ${WINDOW_MS / 1000} s streaming`, paddock: `${streaming.longTasks} (${fmtMs(streaming.longTaskMs)})`, raw: `${idle.longTasks} (${fmtMs(idle.longTaskMs)}) idle`,
        ratio: NaN, ratioText: '', target: 'report', met: true, note: '',
      },
      {
        row: 'dashboard memory', metric: 'JS heap used', paddock: fmtMB(streaming.heapAfter), raw: `${fmtMB(idle.heapBefore)} idle`, ratio: streaming.heapAfter / idle.heapBefore,
        ratioText: fmtRatio(streaming.heapAfter / idle.heapBefore), target: 'report', met: true, note: '',
      },
      {
        row: 'dashboard load', metric: 'first contentful paint; bundle', paddock: fmtMs(details.fcpMs), raw: '—', ratio: NaN, ratioText: '', target: 'report', met: true,
        note: `bundle ${fmtMB(details.bundle.raw)} (${fmtMB(details.bundle.gz)} gzip, ${fmtMB(details.bundle.initialGz)} gzip in the first load); ${fmtMB(details.transferred)} transferred`,
      },
    ],
    details,
  };
}
