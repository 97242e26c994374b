// Opens one page in Debian's headless Chromium and prints what a person would notice, as JSON:
// console errors, uncaught page errors, every request that left the page's own origin (for a
// file:// page: any request that is not file: or data:), the sections found, and a full-page
// screenshot. The Rust tests assert on it; this script judges nothing itself.
//
// usage: node check_page.mjs URL SCREENSHOT.png [CHROMIUM]
import { chromium } from "playwright-core";

const [url, screenshot, executable = process.env.CHROMIUM || "/usr/bin/chromium"] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error("usage: node check_page.mjs URL SCREENSHOT.png [CHROMIUM]");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: executable,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [];
  const pageErrors = [];
  const requests = [];
  const pageOrigin = new URL(url).origin;
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("request", (request) => {
    const target = new URL(request.url());
    const local = target.protocol === "file:" || target.protocol === "data:";
    if (!(local && pageOrigin === "null") && target.origin !== pageOrigin) requests.push(request.url());
  });
  const response = await page.goto(url, { waitUntil: "load" });
  await page.screenshot({ path: screenshot, fullPage: true });
  const facts = await page.evaluate(() => ({
    title: document.title,
    sections: [...document.querySelectorAll("section[data-section]")].map((s) => ({
      id: s.dataset.section,
      heading: s.querySelector("h2")?.textContent ?? "",
      charts: s.querySelectorAll("svg").length,
      tables: s.querySelectorAll("table").length,
    })),
    text: document.body.innerText.slice(0, 20000),
  }));
  console.log(
    JSON.stringify({
      status: response ? response.status() : null,
      console_errors: consoleErrors,
      page_errors: pageErrors,
      requests,
      ...facts,
    }),
  );
} finally {
  await browser.close();
}
