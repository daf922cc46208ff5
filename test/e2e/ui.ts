// What a person sees in VS Code (code-server in Chromium, through the DOM): inlay hints, the code
// lens, the error squiggle and its entry in the Problems panel, the hover with the output-size
// arithmetic, and the quick fix applied from the lightbulb menu (Ctrl+.). Screenshots go to `dir`.
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { launchChromium } from './browser';
import type { Clock } from './cache';
import { remote, workbenchUrl, type CodeServer } from './codeServer';

export interface UiOptions {
  folder: string;
  extensionPath: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
}

const FILE = 'cifar_wrong_fc.py';
const ED = '.editor-group-container .monaco-editor';

/** Polls the page until `probe` is truthy. */
async function until<T>(page: Page, what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await page.waitForTimeout(300);
  }
}

/** The smallest token span of the editor line containing `lineText` whose text contains `token`. */
async function tokenOn(page: Page, lineText: string, token: string): Promise<Locator> {
  const spans = page.locator(`${ED} .view-line`, { hasText: lineText }).first().locator('span span');
  const n = await spans.count();
  let best: { i: number; len: number } | undefined;
  for (let i = 0; i < n; i++) {
    const t = (await spans.nth(i).textContent()) ?? '';
    if (t.includes(token) && (!best || t.length < best.len)) best = { i, len: t.length };
  }
  if (!best) throw new Error(`no token ${token} on the line ${lineText}`);
  return spans.nth(best.i);
}

/** The code lens line above the model, on one line. */
const lensText = async (page: Page) => (await page.locator(`${ED} .codelens-decoration`).first().innerText()).replace(/\s+/g, ' ').trim();
/** The editor's rendered lines, inlay hints included (Monaco renders spaces as no-break spaces). */
const editorText = async (page: Page) => (await page.locator(`${ED} .view-lines`).first().innerText()).replace(/\u00a0/g, ' ');

export async function checkUi(cs: CodeServer, o: UiOptions): Promise<void> {
  const { clock } = o;
  const { ctx, page } = await launchChromium(join(o.dir, 'ui'), o.env);
  const shot = (name: string) => page.screenshot({ path: join(o.dir, `ui-${name}.png`) });
  try {
    await page.goto(workbenchUrl(cs, o.folder, [['extensionDevelopmentPath', remote(cs, o.extensionPath)]]));
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: FILE }).first().dblclick({ timeout: 90_000 });
    await page.waitForSelector(`${ED} .view-line:has-text("torch.flatten")`, { timeout: 30_000 });
    clock.step(`ui: ${FILE} open in the editor`);

    const hints = await until(page, 'the inlay hints [N, 6, 14, 14] and [N, 400]', async () => {
      const t = await editorText(page);
      return t.includes('→ [N, 6, 14, 14]') && t.includes('→ [N, 400]') && t;
    });
    if (hints.includes('→ [N, 10]')) throw new Error('an inlay hint after the failing fc1 call, where nothing runs');
    clock.step('ui: inlay hints → [N, 6, 14, 14] … → [N, 400] shown');

    const lens = await until(page, 'the code lens', async () => {
      const t = await lensText(page);
      return t.includes('params') && t;
    });
    if (!lens.includes('44,726 params · [N, 3, 32, 32] → shape error at line 21')) throw new Error(`code lens: ${lens}`);
    clock.step(`ui: code lens "${lens}"`);

    // The status bar names the model under the cursor, with its parameter count.
    await (await tokenOn(page, 'self.conv1 = nn.Conv2d(3, 6, 5)', 'Conv2d')).click();
    await until(page, 'the status bar item "Net · 44,726 params"', async () => {
      const t = (await page.locator('.statusbar').first().innerText()).replace(/\u00a0/g, ' ');
      return t.includes('Net · 44,726 params') && t;
    });
    clock.step('ui: status bar "Net · 44,726 params"');

    await until(page, 'an error squiggle', async () => (await page.locator(`${ED} .squiggly-error`).count()) > 0);
    await page.keyboard.press('Control+Shift+M');
    const problem = await until(page, 'the error in the Problems panel', async () => {
      const t = (await page.locator('.markers-panel').first().innerText()).replace(/\u00a0/g, ' ');
      return t.includes('expects in_features=256') && t;
    });
    if (!problem.includes('linear-in-features')) throw new Error(`the Problems panel does not show the code: ${problem}`);
    await shot('1-problems');
    await page.keyboard.press('Control+Shift+M');
    clock.step('ui: error squiggle and Problems entry (linear-in-features)');

    // The first hover after start can come back empty while the server analyses: move away and back.
    const conv1 = await tokenOn(page, 'self.conv1(x)', 'conv1');
    const hover = page.locator('.monaco-hover', { hasText: 'H′ = ⌊(32 + 2·0 − 1·(5−1) − 1)/1⌋ + 1 = 28' });
    await until(page, 'the hover on self.conv1(x)', async () => {
      await page.mouse.move(0, 0);
      const box = await conv1.boundingBox();
      if (!box) return false;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
      return hover.first().waitFor({ timeout: 3000 }).then(() => true);
    });
    const hoverText = (await hover.first().innerText()).replace(/\u00a0/g, ' ');
    if (!hoverText.includes('456 params')) throw new Error(`hover without the parameter count: ${hoverText}`);
    await shot('2-hover');
    await page.mouse.move(0, 0);
    await page.keyboard.press('Escape');
    clock.step('ui: hover shows H′ = ⌊(32 + 2·0 − 1·(5−1) − 1)/1⌋ + 1 = 28');

    // Quick fix: cursor into the failing call, Ctrl+. opens the code action menu.
    await (await tokenOn(page, 'F.relu(self.fc1(x))', 'fc1')).click();
    const item = page.locator('.action-widget .monaco-list-row', { hasText: 'Set in_features to 400' });
    await until(page, 'the quick fix menu', async () => {
      await page.keyboard.press('Control+Period');
      return item.first().waitFor({ timeout: 3000 }).then(() => true);
    });
    await shot('3-quickfix-menu');
    await item.first().click();
    await page.waitForSelector(`${ED} .view-line:has-text("self.fc1 = nn.Linear(400, 120)")`, { timeout: 15_000 });
    await until(page, 'the squiggle to go away and fc3 to get its hint', async () => (await page.locator(`${ED} .squiggly-error`).count()) === 0 && (await editorText(page)).includes('→ [N, 10]'));
    // The lens above the model follows (the server asks the editor to refresh lenses after each analysis).
    await until(page, 'the code lens of the fixed model', async () => (await lensText(page)).startsWith('62,006 params · [N, 3, 32, 32] → [N, 10]'), 30_000);
    await shot('4-fixed');
    clock.step('ui: quick fix applied: nn.Linear(400, 120), no error left, → [N, 10], lens 62,006 params');
  } catch (err) {
    await shot('failure').catch(() => undefined);
    throw err;
  } finally {
    await ctx.close();
  }
}
