/** What the dashboard specs share: the login URL, pane reading/typing, the launch form, cleanup. */
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, RUN_FILE, type RunInfo } from './global-setup';

export const LOGIN_URL = (): string => {
  const u = process.env.PADDOCK_URL;
  if (!u) throw new Error('PADDOCK_URL is not set: run through e2e/playwright.config.ts (its global setup starts paddockd).');
  return u;
};
export const api = (path: string): string => new URL(`/api/v1${path}`, LOGIN_URL()).toString();
export const shot = (name: string): string => join(REPO, 'assets', name);
export const IMAGE_BUILD_MS = 12 * 60_000; // first launch builds the base + shell images

/** Everything the pane's xterm holds (scrollback + screen), read from the buffer via the test hook. */
export async function paneText(page: Page, paneId: string): Promise<string> {
  return page.evaluate((id) => window.__paddockTerminals?.[id]?.text() ?? '', paneId);
}

export async function typeInPane(page: Page, paneId: string, text: string): Promise<void> {
  await page.getByTestId(`xterm-${paneId}`).click();
  await page.keyboard.type(text);
}

export async function expectLine(page: Page, paneId: string, re: RegExp, timeout = 30_000): Promise<void> {
  try {
    await expect
      .poll(async () => (await paneText(page, paneId)).split('\n').some((l) => re.test(l.trimEnd())), { timeout })
      .toBe(true);
  } catch (e) {
    const shown = (await paneText(page, paneId)).trimEnd().split('\n').slice(-15).join('\n');
    const conn = await page.getByTestId(`pane-${paneId}`).getAttribute('data-conn').catch(() => null);
    throw new Error(`pane ${paneId} (connection: ${conn}) shows no line matching ${re}; it ends with:\n${shown}\n${(e as Error).message}`);
  }
}

/** Submits the launch form and waits for it to close; paddockd's error, if any, fails the test with its words. */
export async function submitLaunch(page: Page): Promise<void> {
  await page.getByTestId('launch-submit').click();
  const closed = expect(page.getByTestId('launch-form')).toHaveCount(0, { timeout: IMAGE_BUILD_MS });
  const failed = page
    .getByTestId('launch-error')
    .waitFor({ timeout: IMAGE_BUILD_MS })
    .then(async () => {
      throw new Error(`paddockd refused the launch: ${await page.getByTestId('launch-error').innerText()}`);
    });
  await Promise.race([closed, failed]);
  failed.catch(() => {}); // the loser of the race is not an error
}

/**
 * Picks an option of an MUI select and waits for its menu to close. Under load a click can land
 * while the menu is still opening and be lost, leaving the menu over the form: then try again.
 */
export async function choose(page: Page, selectTestId: string, optionTestId: string): Promise<void> {
  const listbox = page.getByRole('listbox');
  for (let attempt = 0; ; attempt++) {
    // a menu chosen from just before may still be closing: wait it out (or close it) first
    if (!(await expect(listbox).toHaveCount(0, { timeout: 5_000 }).then(() => true, () => false))) await page.keyboard.press('Escape');
    await page.getByTestId(selectTestId).click();
    const picked = await page.getByTestId(optionTestId).click({ timeout: 15_000 }).then(() => true, () => false);
    if (picked && (await expect(listbox).toHaveCount(0, { timeout: 5_000 }).then(() => true, () => false))) return;
    if (attempt >= 2) throw new Error(`could not choose ${optionTestId} in ${selectTestId}: its menu did not take the click`);
  }
}

/** Opens the launch form with the shell agent and the given name (the workspace must be picked or prefilled). */
export async function launchShell(page: Page, name: string): Promise<string> {
  await page.getByTestId('new-sandbox').click();
  const form = page.getByTestId('launch-form');
  await expect(form).toBeVisible();
  await choose(page, 'launch-agent', 'launch-agent-shell');
  await page.getByTestId('launch-name').fill(name);
  return name;
}

/**
 * Logs in through a one-time link and waits for the live feed. Each link works once, so every
 * test after the first mints its own with the daemon's bearer token (from the state dir setup made).
 */
export async function login(page: Page): Promise<void> {
  let url = LOGIN_URL();
  const run = JSON.parse(readFileSync(RUN_FILE, 'utf8')) as RunInfo;
  if (run.stateDir) {
    const token = readFileSync(join(run.stateDir, 'token'), 'utf8').trim();
    const res = await page.request.post(api('/login-tokens'), { headers: { authorization: `Bearer ${token}` } });
    expect(res.status(), 'minting a login link').toBe(200);
    url = ((await res.json()) as { url: string }).url;
  }
  await page.goto(url);
  await expect(page.getByTestId('feed-state')).toHaveAttribute('data-state', 'live');
}

/** Removes sandboxes (force) and forgets a workspace; errors are ignored (they may be gone already). */
export async function cleanup(request: APIRequestContext, sandboxes: string[], workspace?: string): Promise<void> {
  for (const name of sandboxes) await request.delete(api(`/sandboxes/${name}?force=true`)).catch(() => {});
  if (workspace) await request.delete(api(`/workspaces?path=${encodeURIComponent(workspace)}`)).catch(() => {});
}

/** Closes the dashboard's toasts (one at a time, oldest first), so a screenshot shows the screen, not a notice over it. */
export async function dismissToasts(page: Page): Promise<void> {
  for (let i = 0; i < 5 && (await page.getByTestId('toast').count()) > 0; i++) {
    await page.getByTestId('toast').getByRole('button').click({ timeout: 2_000 }).catch(() => {}); // it may hide by itself meanwhile
    await page.waitForTimeout(400); // the next queued toast slides in
  }
}
