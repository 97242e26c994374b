// Opens the serving dashboard (through its /?token= link when a token is given) in Debian's headless Chromium, reads what it shows, sends
// predictions to the server, waits for the page's own refresh, and reads it again. Prints JSON;
// the Rust test asserts on it.
//
// usage: node check_dashboard.mjs BASE_URL PREDICT_BODY.json SCREENSHOT.png TOKEN [CHROMIUM]
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, bodyFile, screenshot, token, executable = process.env.CHROMIUM || "/usr/bin/chromium"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: executable,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [], pageErrors = [], outside = [];
  const origin = new URL(base).origin;
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("request", (r) => { if (new URL(r.url()).origin !== origin) outside.push(r.url()); });
  await page.goto(base + "/?token=" + encodeURIComponent(token), { waitUntil: "load" });
  const address = page.url();
  await page.waitForFunction(() => document.getElementById("version").textContent !== "–");
  const read = () => page.evaluate(() => ({
    model: document.getElementById("model").textContent,
    version: document.getElementById("version").textContent,
    recent: Number(document.getElementById("recent").textContent),
    rate: Number(document.getElementById("rate").textContent),
    window: Number(document.getElementById("window").textContent),
    segments: document.querySelectorAll("#segments tr").length,
    drift: document.querySelectorAll("#drift tr").length,
    verdict: document.getElementById("verdict").textContent,
    reason: document.getElementById("reason").textContent,
    overflowing: [...document.querySelectorAll("section")].filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.querySelector("h2").textContent),
    charts: Object.fromEntries(["chart-requests", "chart-errors", "chart-latency", "chart-segments"].map((id) =>
      [id, { series: document.querySelectorAll(`#${id} svg path.series`).length,
             points: document.querySelectorAll(`#${id} svg circle`).length }])),
    feature_charts: document.querySelectorAll("#drift-charts .feature-chart svg").length,
    bands: document.querySelectorAll("#drift-charts svg path.band").length,
    thresholds: document.querySelectorAll("#drift-charts svg line.threshold").length,
  }));
  const before = await read();
  const body = readFileSync(bodyFile, "utf8");
  let sent = 0;
  for (let i = 0; i < 20; i++) {
    const response = await fetch(base + "/predict", { method: "POST", headers: { "content-type": "application/json", "authorization": "Bearer " + token }, body });
    if (response.ok) sent++;
  }
  await page.waitForFunction((n) => Number(document.getElementById("recent").textContent) >= n, sent, { timeout: 10000 });
  // The logged predictions reach the drift charts once the log is flushed and the live drift
  // recomputed.
  await page.waitForFunction(() => document.querySelectorAll("#drift-charts svg").length > 0, null, { timeout: 30000 });
  const after = await read();
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ console_errors: consoleErrors, page_errors: pageErrors, requests: outside, address, sent, before, after }));
} finally {
  await browser.close();
}
