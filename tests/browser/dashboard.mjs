// An administrator and an agency officer go through the dashboard pages of a running sipas in
// Debian's headless Chromium (360 px wide), and the script prints a JSON report that the Rust
// test (tests/api/dashboard.rs) asserts on:
//   1. sign in as the administrator; open the agency's overview for a period (Vietnamese);
//   2. choose another period in the selector and press "Xem"; switch to English;
//   3. open the items, trend, compare, breakdowns (then by response mode) and downloads tabs;
//   4. sign out, sign in as the agency officer: /dashboard is their overview; a sibling
//      agency's page is the 403 page.
// Every page is checked with axe-core and saved as a full-page screenshot.
//
// usage: node dashboard.mjs '{"base": "http://127.0.0.1:PORT", "admin": {"email", "password"},
//          "officer": {...}, "agency": "TINH", "sibling": "SO-A", "period": "2025",
//          "other_period": "2025-H1", "shots": "/abs/target/screenshots", "width": 360}'
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const args = JSON.parse(process.argv[2]);
const width = args.width ?? 360;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
// The pages forbid every script by CSP; axe-core is injected by the test only.
const page = await browser.newPage({ viewport: { width, height: 800 }, bypassCSP: true });

async function axe() {
  await page.addScriptTag({ path: require.resolve("axe-core") });
  const result = await page.evaluate(async () => await window.axe.run(document));
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
    first: v.nodes[0]?.html?.slice(0, 200),
  }));
}

const pages = {};
async function describe(name, response) {
  const report = {
    status: response?.status() ?? null,
    path: new URL(page.url()).pathname,
    query: new URL(page.url()).search,
    lang: await page.evaluate(() => document.documentElement.lang),
    title: await page.title(),
    heading: await page.evaluate(() => document.querySelector("h1")?.textContent.trim() ?? null),
    h2: await page.evaluate(() => [...document.querySelectorAll("h2")].map((h) => h.textContent.trim())),
    period: await page.evaluate(() => document.querySelector("#sel-period")?.value ?? null),
    charts: await page.evaluate(() => document.querySelectorAll("svg.chart[role=img]").length),
    scripts: await page.evaluate(() => document.querySelectorAll("script").length),
    fits_width: await page.evaluate((w) => document.documentElement.scrollWidth <= w, width),
  };
  report.violations = await axe();
  const path = `${args.shots}/dashboard-${name}.png`;
  await page.screenshot({ path, fullPage: true });
  report.screenshot = path;
  pages[name] = report;
  return report;
}

async function go(url) {
  return await page.goto(new URL(url, args.base).href, { waitUntil: "load" });
}

async function click(selector) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click(selector),
  ]);
  return response;
}

async function signIn(who) {
  await go("/sign-in");
  await page.fill("#email", who.email);
  await page.fill("#password", who.password);
  return await click("main form button[type=submit]");
}

try {
  await signIn(args.admin);
  const agency = encodeURIComponent(args.agency);
  let response = await go(`/dashboard/agencies/${agency}?period=${args.period}`);
  await describe("overview-vi", response);

  await page.selectOption("#sel-period", args.other_period);
  response = await click("form.selector button[type=submit]");
  await describe("overview-h1", response);

  response = await click("header.site a.lang");
  await describe("overview-en", response);

  for (const tab of ["items", "trend", "compare", "breakdowns", "downloads"]) {
    response = await click(`nav.tabs a[href*="/${tab}?"]`);
    if (tab === "breakdowns") {
      await page.selectOption("#sel-by", "mode");
      response = await click("form.selector button[type=submit]");
    }
    await describe(tab, response);
  }

  await click("nav.account button");
  response = await signIn(args.officer);
  await describe("officer-home", response);
  response = await go(`/dashboard/agencies/${encodeURIComponent(args.sibling)}`);
  await describe("sibling", response);

  process.stdout.write(JSON.stringify({ pages }));
} finally {
  await browser.close();
}
