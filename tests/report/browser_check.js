// Opens a generated report from disk in headless Chromium and checks that it works for a reader:
// every chart rendered (non-empty SVG/canvas), no console errors, no network request, no dialog (escaped
// model names must not run), the hostile model name visible as text. Saves a full-page screenshot.
// usage: node browser_check.js INDEX_HTML SCREENSHOT_PNG [EXPECTED_TEXT]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const url = require('url');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('browser_check: npm package playwright-core not found (run `npm ci` in the source tree): ' + e.message);
  process.exit(3);
}

async function main() {
  const [html, shot, expectedText] = process.argv.slice(2);
  if (!html || !shot) throw new Error('usage: node browser_check.js INDEX_HTML SCREENSHOT_PNG [EXPECTED_TEXT]');
  const exe = process.env.FORMBENCH_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(exe)) {
    console.error('browser_check: ' + exe + ' not found (apt-get install chromium)');
    process.exit(3);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'formbench-chromium-'));
  const problems = [];
  // A fresh profile each run (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = browser.pages()[0] || await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('dialog', async (d) => { problems.push('a dialog fired: ' + d.message()); await d.dismiss(); });
    page.on('request', (r) => {
      const u = r.url();
      if (!/^(file|data|blob|about):/.test(u)) problems.push('network request: ' + u);
    });
    await page.goto(url.pathToFileURL(path.resolve(html)).href, { waitUntil: 'load' });
    const count = await page.locator('div.chart').count();
    if (count === 0) problems.push('no chart containers');
    if (problems.length === 0) try {
      await page.waitForFunction(() => Array.from(document.querySelectorAll('div.chart'))
        .every((d) => d.querySelector('svg, canvas') || d.textContent.includes('chart failed')), null, { timeout: 30000 });
    } catch (e) {
      problems.push('charts did not render within 30 s');
    }
    const charts = await page.$$eval('div.chart', (divs) => divs.map((d) => {
      const g = d.querySelector('svg, canvas');
      const box = g ? g.getBoundingClientRect() : { width: 0, height: 0 };
      const marks = g ? g.querySelectorAll('path, line, text, rect, circle').length : 0;
      return { id: d.dataset.chart, width: box.width, height: box.height, marks, failed: d.textContent.includes('chart failed') };
    }));
    for (const c of charts) {
      if (c.failed || c.width < 50 || c.height < 20 || c.marks === 0)
        problems.push(`chart ${c.id} empty or failed (${c.width}x${c.height}, ${c.marks} marks)`);
    }
    if (expectedText) {
      const text = await page.evaluate(() => document.body.innerText);
      if (!text.includes(expectedText)) problems.push('expected text not shown: ' + expectedText);
    }
    await page.screenshot({ path: shot, fullPage: true });
    console.log(JSON.stringify({ charts, problems }, null, 1));
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (problems.length) {
    console.error('browser_check FAILED:\n  ' + problems.join('\n  '));
    process.exit(1);
  }
}

main().catch((e) => { console.error('browser_check: ' + (e.stack || e)); process.exit(2); });
