// What the README promises a new user (issue 7, "Done when"), in Debian's headless Chromium,
// against `sipas serve --demo` with the credentials it printed; the script prints a JSON report
// that the Rust test (tests/api/demo.rs) asserts on:
//   1. open /sign-in and sign in as the printed administrator: the dashboard's landing page;
//   2. follow its link to the province (the demo's root agency): its overview, default period;
//   3. choose another period in the selector and press "Xem"; switch to English;
//   4. open the trend and compare (ranking) tabs; open the downloads tab and click the XLSX
//      report and the CSV raw export, saved through Playwright's download handling;
//   5. sign out, sign in as the printed agency officer: /dashboard is their overview; a
//      sibling agency's overview is the 403 page.
// Every page is checked with axe-core and saved as a full-page screenshot.
//
// usage: node readme-flow.mjs '{"base": "http://127.0.0.1:PORT", "admin": {"email", "password"},
//          "officer": {...}, "agency": "UBND.MS", "sibling": "STNMT.MS",
//          "other_period": "2026-H2", "shots": "/abs/target/screenshots", "width": 1280}'
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const args = JSON.parse(process.argv[2]);
const width = args.width ?? 1280;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
// The pages forbid every script by CSP; axe-core is injected by the test only.
const context = await browser.newContext({
  viewport: { width, height: 800 }, bypassCSP: true, acceptDownloads: true,
});
const page = await context.newPage();

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
  };
  report.violations = await axe();
  const path = `${args.shots}/readme-flow-${name}.png`;
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

async function signIn(name, who) {
  await describe(name, await go("/sign-in"));
  await page.fill("#email", who.email);
  await page.fill("#password", who.password);
  return await click("main form button[type=submit]");
}

// Clicks a download link as a user would and saves the file the browser received.
async function download(selector) {
  const href = await page.getAttribute(selector, "href");
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const name = file.suggestedFilename();
  const path = `${args.shots}/readme-flow-download-${name}`;
  await file.saveAs(path);
  return { href, url: file.url(), suggested: name, path, failure: await file.failure() };
}

try {
  let response = await signIn("sign-in", args.admin);
  await describe("home", response);

  // The province, found on the landing page as a user finds it.
  const agency = encodeURIComponent(args.agency);
  response = await click(`#agencies a[href^="/dashboard/agencies/${agency}"]`);
  await describe("overview", response);

  await page.selectOption("#sel-period", args.other_period);
  response = await click("form.selector button[type=submit]");
  await describe("overview-period", response);

  response = await click("header.site a.lang");
  await describe("overview-en", response);

  for (const tab of ["trend", "compare", "downloads"]) {
    response = await click(`nav.tabs a[href*="/${tab}?"]`);
    await describe(tab, response);
  }
  const downloads = {
    xlsx: await download("#report-xlsx"),
    csv: await download("#export-csv"),
  };

  await click("nav.account button");
  response = await signIn("sign-in-officer", args.officer);
  await describe("officer-home", response);
  response = await go(`/dashboard/agencies/${encodeURIComponent(args.sibling)}`);
  await describe("sibling", response);

  process.stdout.write(JSON.stringify({ pages, downloads }));
} finally {
  await browser.close();
}
