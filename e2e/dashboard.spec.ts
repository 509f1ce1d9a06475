/**
 * The dashboard against a real paddockd and a real engine (issue 4, "Done when"): add a
 * workspace, launch a shell agent and talk to it, launch a second one side by side, change one
 * sandbox's network mode in the form and see it take effect inside, stop and remove both.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { api, choose, dismissToasts, expectLine, launchShell, login, LOGIN_URL, shot, submitLaunch, typeInPane } from './helpers';

test('workspace → two shells side by side → network change → stop and remove', async ({ page }) => {
  const workspace = mkdtempSync('/tmp/paddock-e2e-ws-');
  const suffix = Date.now().toString(36);
  const a = `e2e-a-${suffix}`;
  const b = `e2e-b-${suffix}`;
  const paneA = `${a}/agent`;
  const paneB = `${b}/agent`;
  try {
    // Login link → session cookie → dashboard.
    await login(page);
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
    test.info().annotations.push({ type: 'first-contentful-paint-ms', description: String(fcp === null ? 'n/a' : Math.round(fcp)) });
    console.log(`first contentful paint: ${fcp === null ? 'n/a' : Math.round(fcp)} ms`);
    await expect(page.getByTestId('workspaces-view')).toBeVisible();
    await expect(page.getByTestId('workspaces-empty')).toBeVisible();
    await page.screenshot({ path: shot('dashboard-empty.png') });

    // Add a workspace: inline validation first, then paddockd's own check, then success.
    const pathField = page.getByTestId('workspace-path');
    await pathField.fill('not/absolute');
    await page.getByTestId('workspace-add').click();
    await expect(page.getByText('Use an absolute path (starting with /).')).toBeVisible();
    await pathField.fill(`${workspace}-missing`);
    await page.getByTestId('workspace-add').click();
    await expect(page.getByText(`${workspace}-missing does not exist`, { exact: false })).toBeVisible();
    await pathField.fill(workspace);
    await page.getByTestId('workspace-add').click();
    await expect(page.getByTestId(`workspace-${workspace}`)).toBeVisible();
    await expect(page.getByTestId('workspaces-empty')).toHaveCount(0);

    // Launch a shell agent from the workspace card (workspace prefilled).
    await page.getByTestId(`launch-in-${workspace}`).click();
    await expect(page.getByTestId('launch-form')).toBeVisible();
    await choose(page, 'launch-agent', 'launch-agent-shell');
    // Inline validation of the form before anything is sent.
    await page.getByTestId('launch-name').fill('-bad name');
    await page.getByTestId('launch-memory').fill('lots');
    await page.getByTestId('launch-submit').click();
    await expect(page.getByText('Use letters, digits, _ . -', { exact: false })).toBeVisible();
    await expect(page.getByText('Cannot read memory size "lots"', { exact: false })).toBeVisible();
    await page.getByTestId('launch-name').fill(a);
    await page.getByTestId('launch-memory').fill('1g');
    await page.locator('.MuiDialogContent-root').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: shot('launch-form.png') });
    await submitLaunch(page);

    // The pane attaches; type into the real shell and read the answer back from xterm.
    await expect(page.getByTestId(`pane-${paneA}`)).toHaveAttribute('data-conn', 'open', { timeout: 60_000 });
    await typeInPane(page, paneA, 'echo hello\n');
    await expectLine(page, paneA, /^hello$/);

    // The agent catalog shows the image the launch just built.
    await page.getByTestId('nav-agents').click();
    await expect(page.getByTestId('image-state-shell')).toHaveAttribute('data-state', 'ready');
    await dismissToasts(page);
    await page.screenshot({ path: shot('agents.png') });
    await page.getByTestId('nav-terminals').click();
    await expectLine(page, paneA, /^hello$/); // navigating away kept the pane and its screen

    // A reload re-attaches the pane and the server replays the scrollback.
    await page.reload();
    await expect(page.getByTestId(`pane-${paneA}`)).toHaveAttribute('data-conn', 'open', { timeout: 60_000 });
    await expectLine(page, paneA, /^hello$/);

    // A second sandbox on the same workspace: both panes side by side.
    await launchShell(page, b);
    await submitLaunch(page);
    await expect(page.getByTestId(`pane-${paneB}`)).toHaveAttribute('data-conn', 'open', { timeout: 60_000 });
    await expect(page.getByTestId('terminals-view')).toHaveAttribute('data-layout', 'grid');
    const boxA = (await page.getByTestId(`pane-${paneA}`).boundingBox())!;
    const boxB = (await page.getByTestId(`pane-${paneB}`).boundingBox())!;
    expect(Math.abs(boxA.y - boxB.y)).toBeLessThan(2);
    expect(boxB.x).toBeGreaterThanOrEqual(boxA.x + boxA.width);
    expect(boxA.width).toBeGreaterThan(400);
    expect(boxB.width).toBeGreaterThan(400);
    await typeInPane(page, paneB, 'echo "NET:$(ls /sys/class/net | sort | tr \'\\n\' \' \')"\n');
    await expectLine(page, paneB, /^NET:.*eth0/);
    await typeInPane(page, paneA, 'echo pane-a-still-here\n');
    await expectLine(page, paneA, /^pane-a-still-here$/);
    await dismissToasts(page);
    await page.screenshot({ path: shot('terminals-split.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: shot('terminals-split-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    // Tabs: one pane on screen; the hidden one keeps its socket but gives up its WebGL context.
    const renderer = (id: string) => page.evaluate((p) => window.__paddockTerminals?.[p]?.renderer(), id);
    console.log(`renderer of a visible pane: ${await renderer(paneB)}`);
    await page.getByTestId('layout-tabs').click();
    await page.getByTestId(`tab-${paneA}`).click();
    await expect(page.getByTestId(`pane-${paneA}`)).toBeVisible();
    await expect(page.getByTestId(`pane-${paneB}`)).toBeHidden();
    await expect.poll(() => renderer(paneB)).toBe('dom');
    await expect(page.getByTestId(`pane-${paneB}`)).toHaveAttribute('data-conn', 'open');
    await page.getByTestId('layout-grid').click();
    await expect(page.getByTestId(`pane-${paneB}`)).toBeVisible();

    // Network mode in the settings drawer: allowlist → none, applied live.
    await expect(page.getByTestId(`network-${b}`).first()).toHaveAttribute('data-network', 'allowlist');
    await page.getByTestId(`pane-settings-${b}`).click();
    const drawer = page.getByTestId('settings-drawer');
    await expect(drawer).toBeVisible();
    await page.getByTestId('settings-network-none').click();
    await page.getByTestId('settings-save').click();
    await expect(drawer.getByTestId('settings-saved').or(drawer.getByTestId('settings-restart-needed'))).toBeVisible();
    await dismissToasts(page);
    await page.screenshot({ path: shot('settings-drawer.png') });
    await page.getByTestId('settings-close').click();
    await expect(page.getByTestId(`network-${b}`).first()).toHaveAttribute('data-network', 'none');
    await expect(page.getByTestId(`network-${a}`).first()).toHaveAttribute('data-network', 'allowlist');
    // ...and inside the sandbox only loopback is left.
    await typeInPane(page, paneB, 'echo "NET:$(ls /sys/class/net | sort | tr \'\\n\' \' \')"\n');
    await expectLine(page, paneB, /^NET:lo$/);

    // Stop both from their pane headers.
    await page.getByTestId(`pane-stop-${a}`).click();
    await page.getByTestId(`pane-stop-${b}`).click();
    await expect(page.getByTestId(`state-${a}`).first()).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
    await expect(page.getByTestId(`state-${b}`).first()).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });

    // Remove both from the workspace list.
    await page.getByTestId('nav-workspaces').click();
    for (const name of [a, b]) {
      await page.getByTestId(`remove-${name}`).click();
      await page.getByTestId('confirm-remove').click();
      await expect(page.getByTestId(`sandbox-row-${name}`)).toHaveCount(0, { timeout: 60_000 });
    }
    for (const name of [a, b]) {
      const res = await page.request.get(api(`/sandboxes/${name}`));
      expect(res.status()).toBe(404);
    }
    await page.getByTestId('nav-terminals').click();
    await expect(page.getByTestId('terminals-empty')).toBeVisible();
  } finally {
    for (const name of [a, b]) {
      await page.request.delete(api(`/sandboxes/${name}?force=true`)).catch(() => {});
    }
    rmSync(workspace, { recursive: true, force: true });
  }
});

test('without a session the dashboard asks for a new login link, and the API gives no data', async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const origin = new URL(LOGIN_URL()).origin;
  const api = await page.request.get(`${origin}/api/v1/sandboxes`);
  expect(api.status()).toBe(401);
  await page.goto(`${origin}/`);
  await expect(page.getByTestId('login-required')).toBeVisible();
  await expect(page.getByText('paddock dashboard')).toBeVisible();
  await ctx.close();
});
