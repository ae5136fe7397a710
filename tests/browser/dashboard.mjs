// An administrator and an agency officer go through the dashboard pages of a running sipas in
// Debian's headless Chromium (360 px wide), and the script prints a JSON report that the Rust
// test (tests/api/dashboard.rs) asserts on:
//   1. sign in as the administrator: the landing page; open the agency's overview for a period
//      (Vietnamese);
//   2. choose another period in the selector and press "Xem"; switch to English;
//   3. open the items, indicators, trend, compare, breakdowns (then by response mode) and
//      downloads tabs;
//   4. sign out, sign in as the agency officer: /dashboard is their overview; a sibling
//      agency's page is the 403 page.
// Every page is checked with axe-core and saved as a full-page screenshot; both officers have
// long e-mail addresses (shown on every page), and no page may scroll sideways at 360 px.
//
// usage: node dashboard.mjs '{"base": "http://127.0.0.1:PORT", "admin": {"email", "password"},
//          "officer": {...}, "agency": "TINH", "sibling": "SO-A", "period": "2025",
//          "other_period": "2025-H1", "shots": "/abs/target/screenshots", "width": 360}'
import { launch, officerKit } from "./lib.mjs";

const args = JSON.parse(process.argv[2]);
const width = args.width ?? 360;

const browser = await launch();
// bypassCSP: axe-core is injected by the test only (the pages forbid every script).
const page = await browser.newPage({ viewport: { width, height: 800 }, bypassCSP: true });
const { pages, describe, go, click, signIn } = officerKit(page, {
  base: args.base, shots: args.shots, prefix: "dashboard", width,
});

try {
  await describe("landing", await signIn(args.admin));
  const agency = encodeURIComponent(args.agency);
  let response = await go(`/dashboard/agencies/${agency}?period=${args.period}`);
  await describe("overview-vi", response);

  await page.selectOption("#sel-period", args.other_period);
  response = await click("form.selector button[type=submit]");
  await describe("overview-h1", response);

  response = await click("header.site a.lang");
  await describe("overview-en", response);

  for (const tab of ["items", "indicators", "trend", "compare", "breakdowns", "downloads"]) {
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
