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
import { launch, officerKit } from "./lib.mjs";

const args = JSON.parse(process.argv[2]);
const width = args.width ?? 1280;

const browser = await launch();
// bypassCSP: axe-core is injected by the test only (the pages forbid every script).
const context = await browser.newContext({
  viewport: { width, height: 800 }, bypassCSP: true, acceptDownloads: true,
});
const page = await context.newPage();
const { pages, describe, go, click, signIn } = officerKit(page, {
  base: args.base, shots: args.shots, prefix: "readme-flow", width,
});

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
  let response = await signIn(args.admin, "sign-in");
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
  response = await signIn(args.officer, "sign-in-officer");
  await describe("officer-home", response);
  response = await go(`/dashboard/agencies/${encodeURIComponent(args.sibling)}`);
  await describe("sibling", response);

  process.stdout.write(JSON.stringify({ pages, downloads }));
} finally {
  await browser.close();
}
