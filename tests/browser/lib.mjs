// What every browser script shares: Debian's headless Chromium, axe-core, and for the officer's
// pages a small kit that navigates, clicks and describes each page (with axe-core and a
// full-page screenshot) into the JSON report the Rust tests assert on.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

// Debian's Chromium (or $CHROMIUM), headless, without background traffic.
export async function launch() {
  return await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

// The axe-core violations of the page as it is. The pages forbid every script by CSP, so the
// page must have been opened with `bypassCSP: true` (the injection only: the page's own
// `scripts` count is reported separately).
export async function axe(page) {
  await page.addScriptTag({ path: require.resolve("axe-core") });
  const result = await page.evaluate(async () => await window.axe.run(document));
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
    first: v.nodes[0]?.html?.slice(0, 200),
  }));
}

// Navigation and page reports for the signed-in dashboard: `pages` collects one report per
// described page; screenshots go to `${shots}/${prefix}-${name}.png`.
export function officerKit(page, { base, shots, prefix, width }) {
  const pages = {};
  async function describe(name, response) {
    const url = new URL(page.url());
    const report = {
      status: response?.status() ?? null,
      path: url.pathname,
      query: url.search,
      lang: await page.evaluate(() => document.documentElement.lang),
      title: await page.title(),
      heading: await page.evaluate(() => document.querySelector("h1")?.textContent.trim() ?? null),
      h2: await page.evaluate(() => [...document.querySelectorAll("h2")].map((h) => h.textContent.trim())),
      period: await page.evaluate(() => document.querySelector("#sel-period")?.value ?? null),
      charts: await page.evaluate(() => document.querySelectorAll("svg.chart[role=img]").length),
      svgs: await page.evaluate(() => document.querySelectorAll("svg").length),
      scripts: await page.evaluate(() => document.querySelectorAll("script").length),
      fits_width: await page.evaluate((w) => document.documentElement.scrollWidth <= w, width),
      scroll_width: await page.evaluate(() => document.documentElement.scrollWidth),
    };
    report.violations = await axe(page);
    const path = `${shots}/${prefix}-${name}.png`;
    await page.screenshot({ path, fullPage: true });
    report.screenshot = path;
    pages[name] = report;
    return report;
  }
  async function go(url) {
    return await page.goto(new URL(url, base).href, { waitUntil: "load" });
  }
  async function click(selector) {
    const [response] = await Promise.all([
      page.waitForNavigation({ waitUntil: "load" }),
      page.click(selector),
    ]);
    return response;
  }
  // Signs in on /sign-in (described as `name` when given); returns the response after it.
  async function signIn(who, name) {
    const response = await go("/sign-in");
    if (name) await describe(name, response);
    await page.fill("#email", who.email);
    await page.fill("#password", who.password);
    return await click("main form button[type=submit]");
  }
  return { pages, describe, go, click, signIn };
}
