/**
 * Settings the runtime cannot take live (issue 4, settings drawer): a running gVisor sandbox
 * gets new limits only through a restart, which the drawer says up front and does on Apply; a
 * network it is connected to while running shows up only after a restart, which the drawer
 * says after saving and offers.
 *
 * What the sandbox sees is read with paddockd's exec endpoint, not by typing into its pane:
 * under this machine's runsc, tmux sessions end at once (bash reads EOF: see the dashboard
 * report), so the gVisor agent pane shows "exited".
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { api, choose, cleanup, login, submitLaunch } from './helpers';

/** The sandbox's network interfaces, sorted, as the kernel (gVisor's) reports them. */
async function interfaces(page: Page, name: string): Promise<string> {
  const res = await page.request.post(api(`/sandboxes/${name}/exec`), {
    data: { cmd: ['sh', '-c', `awk -F: 'NR>2{gsub(/ /,"",$1);print $1}' /proc/net/dev | sort | tr '\\n' ' '`] },
  });
  expect(res.status()).toBe(200);
  return ((await res.json()) as { stdout: string }).stdout.trim();
}

test('gVisor: new limits apply with a restart the drawer offers; a new network needs a restart, offered after saving', async ({ page }) => {
  const workspace = mkdtempSync('/tmp/paddock-e2e-ws-');
  const name = `e2e-gv-${Date.now().toString(36)}`;
  try {
    await login(page);
    const runtimes = (await (await page.request.get(api('/runtimes'))).json()) as { isolation: string; available: boolean }[];
    test.skip(!runtimes.some((r) => r.isolation === 'gvisor' && r.available), 'this engine has no gVisor runtime');
    expect((await page.request.post(api('/workspaces'), { data: { path: workspace } })).status()).toBe(201);
    await page.getByTestId(`launch-in-${workspace}`).click();
    await choose(page, 'launch-agent', 'launch-agent-shell');
    await page.getByTestId('launch-name').fill(name);
    await page.getByTestId('isolation-gvisor').click();
    await page.getByTestId('launch-network-none').click();
    await page.getByTestId('launch-memory').fill('1g');
    await submitLaunch(page);
    await expect(page.getByTestId(`state-${name}`).first()).toHaveAttribute('data-state', 'running', { timeout: 60_000 });
    expect(await interfaces(page, name)).toBe('lo');

    // New memory limit: the drawer says a restart is needed before anything is sent, and Apply does it.
    await page.getByTestId(`pane-settings-${name}`).click();
    const drawer = page.getByTestId('settings-drawer');
    await drawer.getByTestId('settings-memory').fill('768m');
    await expect(drawer.getByTestId('settings-restart-hint')).toContainText('gVisor cannot change');
    await expect(drawer.getByTestId('settings-save')).toHaveText('Apply and restart');
    await drawer.getByTestId('settings-save').click();
    await expect(drawer.getByTestId('settings-saved')).toBeVisible({ timeout: 120_000 });
    const sb = (await (await page.request.get(api(`/sandboxes/${name}`))).json()) as { state: string; resources: { memoryBytes: number } };
    expect(sb.state).toBe('running');
    expect(sb.resources.memoryBytes).toBe(768 * 1024 ** 2);
    // ...while without the restart paddockd refuses with the way to do it (no engine usage dump)
    const refused = await page.request.patch(api(`/sandboxes/${name}`), { data: { memory: 512 * 1024 ** 2 } });
    expect(refused.status()).toBe(409);
    expect(await refused.text()).toContain('?restart=true');

    // none → allowlist: saved, but gVisor sees the new interface only after a restart; the drawer offers it.
    await page.getByTestId('settings-network-allowlist').click();
    await expect(drawer.getByTestId('settings-save')).toHaveText('Apply');
    await drawer.getByTestId('settings-save').click();
    await expect(drawer.getByTestId('settings-restart-needed')).toContainText('after a restart');
    expect(await interfaces(page, name)).toBe('lo'); // not yet: that is what the notice says
    // closing and reopening the drawer still says so
    await page.getByTestId('settings-close').click();
    await page.getByTestId(`pane-settings-${name}`).click();
    await expect(drawer.getByTestId('settings-restart-needed')).toBeVisible();
    await drawer.getByTestId('settings-restart').click();
    await expect(drawer.getByTestId('settings-restart-needed')).toHaveCount(0, { timeout: 120_000 });
    await expect(page.getByTestId(`state-${name}`).first()).toHaveAttribute('data-state', 'running');
    expect(await interfaces(page, name)).toBe('eth0 lo');
  } finally {
    await cleanup(page.request, [name], workspace);
    rmSync(workspace, { recursive: true, force: true });
  }
});
