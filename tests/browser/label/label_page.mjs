// SPDX-License-Identifier: MIT
//
// Drives rcls's labelling page in headless Chromium: labels two episodes with the keyboard,
// saves, and reports what it saw. Run by label_page_test.cpp:
//   node label_page.mjs URL SCREENSHOT.png RESULT.json
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM).
import fs from "node:fs";
import puppeteer from "puppeteer-core";

const [url, screenshot, resultPath] = process.argv.slice(2);
if (!url || !screenshot || !resultPath) {
  console.error("usage: node label_page.mjs URL SCREENSHOT.png RESULT.json");
  process.exit(2);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"],
});
const result = { steps: [], errors: [] };
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => result.errors.push(String(e)));
  page.on("requestfailed", (r) => result.errors.push("request failed: " + r.url()));
  await page.setViewport({ width: 1100, height: 720 });
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => window.rclsStats && window.rclsStats.ready, { timeout: 20000 });

  // One key press, then wait until the page shows that frame; the time is the page's own
  // key-to-decoded-image measurement.
  async function press(key, expectEpisode, expectFrame, shift = false) {
    const before = await page.evaluate(() => window.rclsStats.steps.length);
    if (shift) await page.keyboard.down("Shift");
    await page.keyboard.press(key);
    if (shift) await page.keyboard.up("Shift");
    await page.waitForFunction(
      (n, ep, t) => window.rclsStats.steps.length > n && window.rclsStats.shown &&
                    window.rclsStats.shown.episode === ep && window.rclsStats.shown.frame === t,
      { timeout: 10000 }, before, expectEpisode, expectFrame);
    result.steps.push(await page.evaluate(() => window.rclsStats.lastFrameMs));
  }
  async function status() { return page.$eval("#status", (e) => e.textContent); }

  // Episode 0: success from frame 15 to 35.
  await page.waitForFunction(() => window.rclsStats.shown && window.rclsStats.shown.frame === 0);
  for (let t = 1; t <= 5; ++t) await press("ArrowRight", 0, t);
  await press("ArrowRight", 0, 15, true);
  await page.keyboard.press("s");
  await press("ArrowRight", 0, 25, true);
  await press("ArrowRight", 0, 35, true);
  await press("ArrowLeft", 0, 34);
  await press("ArrowRight", 0, 35);
  await page.keyboard.press("e");
  result.status0 = await status();

  // Episode 1 (tab): success from frame 3 on; "never", then undone.
  await press("Tab", 1, 0);
  for (let t = 1; t <= 3; ++t) await press("ArrowRight", 1, t);
  await page.keyboard.press("s");
  await page.keyboard.press("n");
  result.statusNever = await status();
  await page.keyboard.press("u");
  result.status1 = await status();
  // Back to episode 0 and forward again, to see the span kept.
  await press("Tab", 0, 0, true);
  result.statusBack = await status();
  await press("Tab", 1, 0);

  await page.click("#save");
  await page.waitForFunction(() => window.rclsStats.saves >= 1 || window.rclsStats.lastError,
                             { timeout: 30000 });
  result.save = await page.evaluate(() => window.rclsStats.lastSave || null);
  result.saveError = await page.evaluate(() => window.rclsStats.lastError || null);
  await press("ArrowRight", 1, 1);
  // With --checkpoint: the classifier's probabilities, drawn under the scrubber.
  result.probabilities = await page.evaluate(async () => {
    const r = await fetch("/api/probabilities?episode=1");
    return r.ok ? await r.json() : { status: r.status };
  });
  await page.waitForFunction(() => !document.getElementById("probability").hidden,
                             { timeout: 60000 }).catch(() => {});
  result.probabilityShown = await page.$eval("#probability", (e) => !e.hidden);
  await page.screenshot({ path: screenshot });
} finally {
  await browser.close();
}
fs.writeFileSync(resultPath, JSON.stringify(result, null, 2));
console.log(JSON.stringify({ steps: result.steps.length, errors: result.errors }));
