/**
 * Sessions in one sandbox (issues 3 and 4): "+ new shell" opens a second session in its own pane,
 * and when the agent exits the pane says so with its exit status and restarts it on request.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { api, choose, cleanup, expectLine, login, shot, submitLaunch, typeInPane } from './helpers';

test('new shell in a pane; the agent exits, the pane shows its status, restart brings it back', async ({ page }) => {
  const workspace = mkdtempSync('/tmp/paddock-e2e-ws-');
  const name = `e2e-s-${Date.now().toString(36)}`;
  const agentPane = `${name}/agent`;
  try {
    await login(page);
    expect((await page.request.post(api('/workspaces'), { data: { path: workspace } })).status()).toBe(201);
    await page.getByTestId(`launch-in-${workspace}`).click();
    await choose(page, 'launch-agent', 'launch-agent-shell');
    await page.getByTestId('launch-name').fill(name);
    await submitLaunch(page);
    await expect(page.getByTestId(`pane-${agentPane}`)).toHaveAttribute('data-conn', 'open', { timeout: 60_000 });
    await typeInPane(page, agentPane, 'echo "agent $((20+1))"\n');
    await expectLine(page, agentPane, /^agent 21$/);

    // "+ new shell" from the pane's menu: a second session of the same sandbox in its own pane.
    await page.getByTestId(`pane-menu-${agentPane}`).click();
    await page.getByTestId(`pane-new-shell-${name}`).click();
    const shellPane = page.locator(`[data-testid^="pane-${name}/shell-"]`);
    await expect(shellPane).toHaveAttribute('data-conn', 'open', { timeout: 60_000 });
    const shellId = ((await shellPane.getAttribute('data-testid')) ?? '').replace(/^pane-/, '');
    await expect(page.getByTestId(`tab-${shellId}`)).toContainText('shell 1');
    await typeInPane(page, shellId, 'echo "from $((6*7)) shell"\n');
    await expectLine(page, shellId, /^from 42 shell$/);
    // side by side with the agent's pane, and the agent pane did not get the shell's input
    const boxAgent = (await page.getByTestId(`pane-${agentPane}`).boundingBox())!;
    const boxShell = (await shellPane.boundingBox())!;
    expect(Math.abs(boxAgent.y - boxShell.y)).toBeLessThan(2);
    expect(boxShell.x).toBeGreaterThanOrEqual(boxAgent.x + boxAgent.width);
    await expectLine(page, agentPane, /^agent 21$/);
    await expect.poll(async () => (await page.evaluate((id) => window.__paddockTerminals?.[id]?.text() ?? '', agentPane)).includes('from 42 shell')).toBe(false);

    // The agent exits (the shell agent, with a status) → the pane says so, with the code.
    await typeInPane(page, agentPane, 'exit 3\n');
    await expect(page.getByTestId(`pane-exited-${agentPane}`)).toContainText('code 3', { timeout: 30_000 });
    await expect(page.getByTestId(`pane-${agentPane}`)).toHaveAttribute('data-conn', 'exited');
    // ...and the sandbox's state chips say so at a glance (pane header and Workspaces page)
    await expect(page.getByTestId(`pane-${agentPane}`).getByTestId(`state-${name}`)).toHaveText('agent exited (3)');
    await page.screenshot({ path: shot('terminal-agent-exited.png') });
    // the other session lives on
    await typeInPane(page, shellId, 'echo still-here\n');
    await expectLine(page, shellId, /^still-here$/);

    // Restart from the pane: the agent runs again and answers.
    await page.getByTestId(`pane-restart-${agentPane}`).click();
    await expect(page.getByTestId(`pane-exited-${agentPane}`)).toHaveCount(0, { timeout: 30_000 });
    await expect(page.getByTestId(`pane-${agentPane}`)).toHaveAttribute('data-conn', 'open', { timeout: 30_000 });
    await typeInPane(page, agentPane, 'echo back-$((1+1))\n');
    await expectLine(page, agentPane, /^back-2$/);
    await expect(page.getByTestId(`pane-${agentPane}`).getByTestId(`state-${name}`)).toHaveText('running');
  } finally {
    await cleanup(page.request, [name], workspace);
    rmSync(workspace, { recursive: true, force: true });
  }
});
