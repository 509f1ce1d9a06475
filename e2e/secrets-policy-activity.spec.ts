/**
 * Secrets (issue 7), policy and activity (issue 8) in the dashboard, against a real paddockd and
 * engine: store a secret (write-only, validated), attach it at launch and read it inside, change
 * attachments in the settings drawer (file mode live, env mode needs a recreate, which the form
 * offers and does), delete it; the policy page shows each rule's file and refuses in a dry run;
 * the activity view shows refusals live, filters them, and checks the chain.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILE, type RunInfo } from './global-setup';
import { api, choose, cleanup, dismissToasts, expectLine, IMAGE_BUILD_MS, login, shot, submitLaunch, typeInPane } from './helpers';

const uniq = () => Date.now().toString(36);

/** Text anywhere on the page, including form fields' values. */
async function pageHolds(page: Page, needle: string): Promise<boolean> {
  return page.evaluate((n) => {
    if (document.body.innerText.includes(n)) return true;
    return Array.from(document.querySelectorAll('input, textarea')).some((el) => (el as HTMLInputElement).value.includes(n));
  }, needle);
}

test('secrets: store with validation, attach at launch, change in the drawer (live and by recreate), delete', async ({ page }) => {
  const workspace = mkdtempSync('/tmp/paddock-e2e-ws-');
  const name = `e2e-sec-${uniq()}`;
  const pane = `${name}/agent`;
  const npmValue = `npm-e2e-${uniq()}-value`;
  const buildValue = `build-e2e-${uniq()}-value`;
  try {
    await login(page);
    expect((await page.request.post(api('/workspaces'), { data: { path: workspace } })).status()).toBe(201);

    // The Secrets page starts empty and says what to do.
    await page.getByTestId('nav-secrets').click();
    await expect(page.getByTestId('secrets-empty')).toBeVisible();
    await expect(page.getByTestId('secrets-empty')).toContainText('Store an API key above');
    await page.screenshot({ path: shot('secrets-empty.png') });

    // Bad input: every field says what to do, and nothing typed is lost.
    await page.getByTestId('secret-save').click();
    await expect(page.getByText('Give the secret a name', { exact: false })).toBeVisible();
    await expect(page.getByText('Paste the value.', { exact: false })).toBeVisible();
    await page.getByTestId('secret-name').fill('npm_token');
    await page.getByTestId('secret-value').fill(npmValue);
    await page.getByTestId('secret-save').click();
    await expect(page.getByText('Names are upper-case: use NPM_TOKEN.')).toBeVisible();
    await expect(page.getByTestId('secret-value')).toHaveValue(npmValue);
    await expect(page.getByTestId('secret-name')).toHaveValue('npm_token');

    // Stored: the value field empties and the value is shown nowhere.
    await page.getByTestId('secret-name').fill('NPM_TOKEN');
    await page.getByTestId('secret-save').click();
    await expect(page.getByTestId('secret-saved')).toContainText('NPM_TOKEN is stored for every sandbox');
    await expect(page.getByTestId('secret-value')).toHaveValue('');
    await expect(page.getByTestId('secret-row-NPM_TOKEN')).toBeVisible();
    await page.getByTestId('secret-name').fill('BUILD_PASSWORD');
    await page.getByTestId('secret-value').fill(buildValue);
    await page.getByTestId('secret-save').click();
    await expect(page.getByTestId('secret-row-BUILD_PASSWORD')).toBeVisible();
    await expect(page.getByTestId('secret-value')).toHaveValue('');
    expect(await pageHolds(page, npmValue)).toBe(false);
    expect(await pageHolds(page, buildValue)).toBe(false);
    // ...nor in any answer paddockd gives
    expect(await (await page.request.get(api('/secrets'))).text()).not.toContain(npmValue);
    await page.getByTestId('secret-name').fill('');
    await dismissToasts(page);
    await page.screenshot({ path: shot('secrets.png') });

    // Launch a shell with NPM_TOKEN attached (file mode, the default for a name no preset knows).
    await page.getByTestId(`nav-workspaces`).click();
    await page.getByTestId(`launch-in-${workspace}`).click();
    await choose(page, 'launch-agent', 'launch-agent-shell');
    await page.getByTestId('launch-name').fill(name);
    // Leaving for the Secrets page keeps what was typed in the launch form.
    await page.getByTestId('launch-secrets-page').click();
    await expect(page.getByTestId('secrets-view')).toBeVisible();
    await page.getByTestId('new-sandbox').click();
    await expect(page.getByTestId('launch-name')).toHaveValue(name);
    await expect(page.getByTestId('launch-agent')).toContainText('Shell');
    await page.getByTestId('launch-secret-add').click();
    await page.getByTestId('launch-secret-pick-NPM_TOKEN').click();
    await expect(page.getByTestId('launch-secret-NPM_TOKEN')).toContainText('/run/secrets');
    // Proxy mode without a network is refused in the form, with the way out.
    await page.getByTestId('launch-network-none').click();
    await page.getByTestId('launch-secret-mode-NPM_TOKEN').click();
    await page.getByTestId('launch-secret-mode-NPM_TOKEN-proxy').click();
    await page.getByTestId('launch-submit').click();
    await expect(page.getByTestId('launch-secret-error-NPM_TOKEN')).toContainText('Proxy mode needs a network');
    await choose(page, 'launch-secret-mode-NPM_TOKEN', 'launch-secret-mode-NPM_TOKEN-file');
    await page.getByTestId('launch-network-allowlist').click();
    await page.getByTestId('launch-secrets').scrollIntoViewIfNeeded();
    await page.screenshot({ path: shot('launch-form-secrets.png') });
    await submitLaunch(page);
    await expect(page.getByTestId(`pane-${pane}`)).toHaveAttribute('data-conn', 'open', { timeout: 60_000 });
    await typeInPane(page, pane, 'echo "file:$(cat /run/secrets/NPM_TOKEN)"\n');
    await expectLine(page, pane, new RegExp(`^file:${npmValue}$`));

    // Drawer: detach the file-mode secret → in effect at once.
    await page.getByTestId(`pane-settings-${name}`).click();
    const drawer = page.getByTestId('settings-drawer');
    await expect(drawer.getByTestId('settings-secret-NPM_TOKEN')).toBeVisible();
    await drawer.getByTestId('settings-secret-remove-NPM_TOKEN').click();
    await drawer.getByTestId('settings-save').click();
    await expect(drawer.getByTestId('settings-saved')).toBeVisible();
    await page.getByTestId('settings-close').click();
    await typeInPane(page, pane, 'test -e /run/secrets/NPM_TOKEN && echo still-there || echo npm-gone\n');
    await expectLine(page, pane, /^npm-gone$/);

    // Attach one in env mode: the drawer warns, says a recreate is needed and offers it.
    await page.getByTestId(`pane-settings-${name}`).click();
    await drawer.getByTestId('settings-secret-add').click();
    await page.getByTestId('settings-secret-pick-BUILD_PASSWORD').click();
    await choose(page, 'settings-secret-mode-BUILD_PASSWORD', 'settings-secret-mode-BUILD_PASSWORD-env');
    await expect(drawer.getByTestId('settings-secret-env-warning-BUILD_PASSWORD')).toContainText('docker inspect');
    await drawer.getByTestId('settings-save').click();
    await expect(drawer.getByTestId('settings-recreate-needed')).toBeVisible();
    await page.screenshot({ path: shot('settings-drawer-secrets.png') });
    await page.getByTestId('settings-close').click();
    await typeInPane(page, pane, 'echo "env:${BUILD_PASSWORD:-unset}"\n');
    await expectLine(page, pane, /^env:unset$/);
    await page.getByTestId(`pane-settings-${name}`).click();
    await drawer.getByTestId('settings-recreate').click();
    await page.getByTestId('confirm-recreate').click();
    await expect(drawer.getByTestId('settings-recreate-needed')).toHaveCount(0, { timeout: 120_000 });
    await page.getByTestId('settings-close').click();
    await expect(page.getByTestId(`pane-${pane}`)).toHaveAttribute('data-conn', 'open', { timeout: 60_000 });
    await typeInPane(page, pane, 'echo "env:${BUILD_PASSWORD:-unset}"\n');
    await expectLine(page, pane, new RegExp(`^env:${buildValue}$`));

    // Delete a stored secret.
    await page.getByTestId('nav-secrets').click();
    await page.getByTestId('secret-delete-NPM_TOKEN').click();
    await page.getByTestId('confirm-secret-delete').click();
    await expect(page.getByTestId('secret-row-NPM_TOKEN')).toHaveCount(0);
    await expect(page.getByTestId('secret-row-BUILD_PASSWORD')).toBeVisible();
  } finally {
    await cleanup(page.request, [name], workspace);
    for (const s of ['NPM_TOKEN', 'BUILD_PASSWORD']) await page.request.delete(api(`/secrets/${s}?scope=global`)).catch(() => {});
    rmSync(workspace, { recursive: true, force: true });
  }
});

test('policy page shows where each rule comes from; activity shows a refusal live, filters, and checks the chain', async ({ page }) => {
  const run = JSON.parse(readFileSync(RUN_FILE, 'utf8')) as RunInfo;
  test.skip(!run.stateDir, 'needs the daemon global setup started (its config dir holds the user policy)');
  const policyFile = join(run.stateDir!, 'config', 'policy.yaml');
  const workspace = mkdtempSync('/tmp/paddock-e2e-ws-');
  const name = `e2e-pol-${uniq()}`;
  try {
    await login(page);
    expect((await page.request.post(api('/workspaces'), { data: { path: workspace } })).status()).toBe(201);

    // No policy file: the page says so and how to add one.
    await page.getByTestId('nav-policy').click();
    await expect(page.getByTestId('policy-empty')).toBeVisible();
    await expect(page.getByTestId('policy-empty')).toContainText(policyFile);
    await page.screenshot({ path: shot('policy-empty.png') });

    // A user policy: paddockd picks it up; the page shows each value with its file.
    mkdirSync(join(run.stateDir!, 'config'), { recursive: true });
    writeFileSync(policyFile, ['version: 1', 'network:', '  allowOpen: false', '  denyHosts: [paste.example.test]', 'resources:', '  max: { memory: 2g }', ''].join('\n'));
    await expect
      .poll(async () => ((await (await page.request.get(api('/policy'))).json()) as { rules: { rule: string }[] }).rules.some((r) => r.rule === 'network.allowOpen'), { timeout: 15_000 })
      .toBe(true);
    await page.getByTestId('policy-reload').click();
    const allowOpen = page.getByTestId('policy-rule-network.allowOpen');
    await expect(allowOpen).toContainText('no');
    await expect(allowOpen.getByTestId('policy-source')).toHaveAttribute('data-kind', 'user');
    await expect(allowOpen).toContainText(policyFile);
    await expect(page.getByTestId('policy-rule-resources.max.memory')).toContainText('2');
    await expect(page.getByTestId('policy-rule-onViolation').getByTestId('policy-source')).toHaveAttribute('data-kind', 'built-in');
    await expect(page.getByTestId('policy-empty')).toHaveCount(0);

    // Dry run: refused, naming the rules and the file.
    await page.getByTestId('check-submit').click();
    await expect(page.getByText('Pick an agent.')).toBeVisible();
    await choose(page, 'check-agent', 'check-agent-shell');
    await page.getByTestId('check-workspace').fill(workspace);
    await choose(page, 'check-network', 'check-network-open');
    await page.getByTestId('check-memory').fill('4g');
    await page.getByTestId('check-submit').click();
    const refused = page.getByTestId('check-refused');
    await expect(refused).toContainText('network.allowOpen');
    await expect(refused).toContainText('resources.max.memory');
    await expect(refused).toContainText(policyFile);
    await choose(page, 'check-network', 'check-network-allowlist');
    await page.getByTestId('check-memory').fill('1g');
    await page.getByTestId('check-submit').click();
    await expect(page.getByTestId('check-allowed')).toBeVisible();
    await choose(page, 'check-network', 'check-network-open');
    await page.getByTestId('check-submit').click();
    await expect(page.getByTestId('check-refused')).toBeVisible();
    await dismissToasts(page);
    // the page scrolls inside <main>: a taller window shows all of it at once
    await page.setViewportSize({ width: 1440, height: 1750 });
    await page.locator('main').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: shot('policy.png') });
    await page.setViewportSize({ width: 1440, height: 900 });

    // The launch form shows paddockd's refusal in words, naming the rule.
    await page.getByTestId('new-sandbox').click();
    await page.getByTestId('launch-workspace').click();
    await page.getByRole('option', { name: workspace }).click();
    await choose(page, 'launch-agent', 'launch-agent-shell');
    await page.getByTestId('launch-name').fill(name);
    await page.getByTestId('launch-network-open').click();
    await page.getByTestId('launch-submit').click();
    // (paddockd builds a missing image before it checks the policy, so this can take a while)
    await expect(page.getByTestId('launch-error')).toContainText('network.allowOpen', { timeout: IMAGE_BUILD_MS });
    await expect(page.getByTestId('launch-name')).toHaveValue(name); // the form keeps what was typed
    await page.keyboard.press('Escape');

    // Activity: the refusal is there; a new one arrives live while the page is open.
    await page.getByTestId('nav-activity').click();
    await expect(page.getByTestId('activity-feed')).toHaveAttribute('data-state', 'live');
    const refusals = page.locator('[data-testid^="activity-row-"][data-action="policy.refused"]');
    await expect(refusals.first()).toBeVisible();
    const before = await refusals.count();
    const res = await page.request.post(api('/sandboxes'), { data: { agent: 'shell', workspace, name: `${name}-api`, network: 'open' } });
    expect(res.status()).toBe(403);
    await expect(refusals).toHaveCount(before + 1, { timeout: 15_000 });
    await expect(refusals.first()).toHaveAttribute('data-outcome', 'refused');
    await expect(refusals.first()).toContainText('network.allowOpen');

    // Filters: by sandbox (server side), by outcome (problems only), by text.
    await choose(page, 'activity-sandbox', `activity-sandbox-${name}-api`);
    await expect(page.locator('[data-testid^="activity-row-"]')).toHaveCount(1);
    await expect(page.locator('[data-testid^="activity-row-"]').first()).toHaveAttribute('data-sandbox', `${name}-api`);
    await page.getByTestId('activity-sandbox').click();
    await page.getByRole('option', { name: 'All sandboxes' }).click();
    await choose(page, 'activity-outcome', 'activity-outcome-problems');
    const rows = page.locator('[data-testid^="activity-row-"]');
    await expect(rows.first()).toBeVisible();
    for (const o of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-outcome')))) expect(o).not.toBe('ok');
    await page.getByTestId('activity-search').fill('zzz-nothing-matches');
    await expect(page.getByTestId('activity-empty')).toContainText('Nothing matches these filters');
    await page.getByTestId('activity-search').fill('');
    await page.getByTestId('activity-outcome').click();
    await page.getByRole('option', { name: 'Any outcome' }).click();

    // The chain checks out.
    await page.getByTestId('activity-verify').click();
    await expect(page.getByTestId('activity-verify-ok')).toContainText('Intact');
    await dismissToasts(page);
    await page.screenshot({ path: shot('activity.png') });
  } finally {
    rmSync(policyFile, { force: true });
    await cleanup(page.request, [name, `${name}-api`], workspace);
    rmSync(workspace, { recursive: true, force: true });
    // later tests must not inherit the rules
    await expect
      .poll(async () => ((await (await page.request.get(api('/policy'))).json()) as { rules: { rule: string }[] }).rules.some((r) => r.rule === 'network.allowOpen'), { timeout: 15_000 })
      .toBe(false)
      .catch(() => {});
  }
});
