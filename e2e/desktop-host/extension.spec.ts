/**
 * The packaged Docker Desktop extension, in the host harness (README.md): the UI copied out of the
 * image talks to the backend container only through window.ddClient (vm.service over the socket
 * from metadata.json) and the terminal port the Compose file publishes. Launch a shell agent from
 * the UI and read `echo hello` back from its pane.
 */
import { expect, test, type Page } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DesktopHost, ddClientScript, makeWorkspace, reapTestRun, socketRequest } from './harness';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const IMAGE = process.env.PADDOCK_EXTENSION_IMAGE ?? 'paddock/desktop-extension:e2e';
const LOCAL_BASE = 'paddock/bootstrap:trixie'; // no registry in CI: what bootstrap-base.sh imports
const IMAGE_BUILD_MS = 15 * 60_000; // first launch may build the base and shell images
const WORKSPACE_UID = 1000; // the uid Docker Desktop's file sharing presents host files with

test.skip(!process.env.PADDOCK_DESKTOP_HOST, 'runs under e2e/desktop-host/playwright.config.ts only');

const runId = `desktop-host-${Date.now().toString(36)}`;
let host: DesktopHost;
let workspace: string;

function hasImage(ref: string): boolean {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
}

test.beforeAll(async () => {
  test.setTimeout(IMAGE_BUILD_MS);
  if (!process.env.PADDOCK_EXTENSION_SKIP_BUILD) {
    execFileSync('node', [join(REPO, 'extension', 'build.mjs'), '--tag', IMAGE], { cwd: REPO, stdio: 'inherit', timeout: IMAGE_BUILD_MS });
  }
  workspace = makeWorkspace('paddock-dd-ws-', WORKSPACE_UID, WORKSPACE_UID);
  host = new DesktopHost({
    image: IMAGE,
    runId,
    pickedFolder: workspace,
    extraEnv: {
      PADDOCK_TEST_RUN: runId, // paddockd labels what it creates, so the harness reaps it
      ...(process.env.PADDOCK_BASE_IMAGE || hasImage(LOCAL_BASE) ? { PADDOCK_BASE_IMAGE: process.env.PADDOCK_BASE_IMAGE ?? LOCAL_BASE, PADDOCK_OFFLINE: '1' } : {}),
    },
  });
  await host.start();
});

test.afterAll(async () => {
  if (process.env.PADDOCK_DESKTOP_HOST_KEEP) return;
  await host?.stop();
  reapTestRun(runId);
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

async function paneText(page: Page, paneId: string): Promise<string> {
  return page.evaluate((id) => (window as unknown as { __paddockTerminals?: Record<string, { text(): string }> }).__paddockTerminals?.[id]?.text() ?? '', paneId);
}

async function expectLine(page: Page, paneId: string, re: RegExp, timeout = 30_000): Promise<void> {
  try {
    await expect.poll(async () => (await paneText(page, paneId)).split('\n').some((l) => re.test(l.trimEnd())), { timeout }).toBe(true);
  } catch (e) {
    const shown = (await paneText(page, paneId)).trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`pane ${paneId} shows no line matching ${re}; it ends with:\n${shown}\n${(e as Error).message}`);
  }
}

test('the packaged extension: metadata and compose as Docker Desktop reads them', async () => {
  // the SDK's rules for metadata.json and the image's labels (npm run extension:validate)
  const { validate } = (await import(join(REPO, 'extension', 'validate.mjs'))) as { validate(o: { image: string }): { errors: string[] } };
  expect(validate({ image: IMAGE }).errors).toEqual([]);
  const files = host.files!;
  expect(files.metadata.ui['dashboard-tab']).toMatchObject({ root: '/ui', src: 'index.html' });
  expect(files.metadata.vm.exposes.socket).toBe('paddock.sock');
  const plan = host.backendPlan;
  expect(plan.env.PADDOCK_SOCKET).toBe(`/run/guest-services/${files.metadata.vm.exposes.socket}`);
  expect(plan.args.join(' ')).toContain('/var/run/docker.sock:/var/run/docker.sock'); // .raw → this host's engine socket
  expect(plan.ports).toEqual([{ hostIp: '127.0.0.1', hostPort: Number(plan.env.PADDOCK_PORT), containerPort: Number(plan.env.PADDOCK_PORT) }]);
  // The backend dropped root: paddockd runs as the image's `paddock` user.
  const top = execFileSync('docker', ['top', host.backendContainer, '-o', 'pid,uid,args'], { encoding: 'utf8' });
  const daemonLine = top.split('\n').find((l) => l.includes('paddockd.js') && !l.includes('tini')); // tini (pid 1) stays root
  expect(daemonLine?.trim().split(/\s+/)[1]).toBe('1000');
  // Over TCP the API still wants a token; the socket (what vm.service uses) does not.
  const res = await fetch(`http://127.0.0.1:${plan.ports[0]!.hostPort}/api/v1/sandboxes`);
  expect(res.status).toBe(401);
  const viaSocket = await socketRequest(plan.socketPath, 'GET', '/api/v1/sandboxes', {});
  expect(viaSocket.status).toBe(200);
});

test('launch a shell agent from the Docker Desktop tab and read `echo hello` back', async ({ page }) => {
  test.setTimeout(IMAGE_BUILD_MS + 5 * 60_000);
  const name = `dd-shell-${Date.now().toString(36)}`;
  const pane = `${name}/agent`;
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript(ddClientScript());
  try {
    await page.goto(host.uiUrl);
    await expect(page.getByTestId('feed-state')).toHaveAttribute('data-state', 'live');

    // Workspace through the host's folder picker (desktopUI.dialog.showOpenDialog).
    await expect(page.getByTestId('workspaces-view')).toBeVisible();
    await page.getByRole('button', { name: 'Choose a folder' }).click();
    await expect(page.getByTestId('workspace-path')).toHaveValue(workspace);
    expect(host.calls.some((c) => c.api === 'dialog.showOpenDialog')).toBe(true);
    await page.getByTestId('workspace-add').click();
    await expect(page.getByTestId(`workspace-${workspace}`)).toBeVisible();

    // Launch a shell agent in it.
    await page.getByTestId(`launch-in-${workspace}`).click();
    await expect(page.getByTestId('launch-form')).toBeVisible();
    await page.getByTestId('launch-agent').click();
    await page.getByTestId('launch-agent-shell').click();
    await page.getByTestId('launch-name').fill(name);
    // Default network mode (allowlist): paddockd, inside the extension's container, drives the
    // egress proxy for this sandbox — it joins the proxy's network itself.
    await page.getByTestId('launch-submit').click();
    await expect(page.getByTestId('launch-form')).toHaveCount(0, { timeout: IMAGE_BUILD_MS });

    // The pane's WebSocket goes to the published 127.0.0.1 port with a token from vm.service.
    await expect(page.getByTestId(`pane-${pane}`)).toHaveAttribute('data-conn', 'open', { timeout: 60_000 });
    await page.getByTestId(`xterm-${pane}`).click();
    await page.keyboard.type('echo hello\n');
    await expectLine(page, pane, /^hello$/);
    // The agent writes in the workspace as the workspace's owner, through the engine's bind mount.
    await page.keyboard.type(`echo from-sandbox > ${workspace}/made-in-sandbox && id -u\n`);
    await expectLine(page, pane, new RegExp(`^${WORKSPACE_UID}$`));

    await page.screenshot({ path: join(REPO, 'test-results', 'desktop-host', 'extension-tab.png') });
    console.log(`host calls: ${host.calls.map((c) => c.api).join(', ') || 'none'}`);
    expect(pageErrors).toEqual([]);
  } catch (e) {
    console.log(host.backendLogs());
    throw e;
  } finally {
    await socketRequest(host.backendPlan.socketPath, 'DELETE', `/api/v1/sandboxes/${name}?force=true`, {}).catch(() => undefined);
  }
});
