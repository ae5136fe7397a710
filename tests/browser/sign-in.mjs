// An officer signs in to a running sipas in Debian's headless Chromium, with the keyboard only,
// and the script prints a JSON report that the Rust test (tests/api/accounts.rs) asserts on:
//   1. open a signed-in page (the dashboard): the sign-in page instead (axe-core, screenshot);
//   2. type the e-mail address (the field has the focus), Tab, a wrong password, Enter: the
//      form again with the error summary focused (axe-core, screenshot);
//   3. Tab to the password field, the right password, Enter: the dashboard (axe-core,
//      screenshot);
//   4. Tab to the sign-out button, Enter: the sign-in page saying so (axe-core, screenshot).
//
// usage: node sign-in.mjs '{"url": ".../dashboard", "email": "...", "password": "...",
//                           "shots": "/abs/target/prefix", "width": 360}'
import { axe, launch } from "./lib.mjs";

const args = JSON.parse(process.argv[2]);
const width = args.width ?? 360;

const browser = await launch();

// The pages forbid every script by CSP; axe-core is injected by the test, so CSP is bypassed
// for the injection only (the page's own `scripts` count is reported separately).
const page = await browser.newPage({ viewport: { width, height: 800 }, bypassCSP: true });


async function describe(response, shot) {
  const report = {
    status: response.status(),
    path: new URL(page.url()).pathname,
    lang: await page.evaluate(() => document.documentElement.lang),
    title: await page.title(),
    heading: await page.evaluate(() => document.querySelector("h1")?.textContent.trim() ?? null),
    scripts: await page.evaluate(() => document.querySelectorAll("script").length),
    fits_width: await page.evaluate((w) => document.documentElement.scrollWidth <= w, width),
    focused: await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName),
  };
  report.violations = await axe(page);
  if (args.shots) {
    const path = `${args.shots}-${shot}.png`;
    await page.screenshot({ path, fullPage: true });
    report.screenshot = path;
  }
  return report;
}

/// Presses Tab until `test(activeElement)` holds; false if it never does.
async function tabTo(test, what) {
  for (let i = 0; i < 60; i++) {
    if (await page.evaluate(test)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`the keyboard never reached ${what}`);
}

/// Presses Enter and waits for the page it leads to.
async function enter() {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.keyboard.press("Enter"),
  ]);
  return response;
}

const report = {};
try {
  // 1. A signed-in page, while signed out: the sign-in form.
  let response = await page.goto(args.url, { waitUntil: "load" });
  report.form = await describe(response, "form");

  // 2. A wrong password.
  await tabTo(() => document.activeElement?.id === "email", "the e-mail field");
  await page.keyboard.type(args.email);
  await page.keyboard.press("Tab");
  await tabTo(() => document.activeElement?.id === "password", "the password field");
  await page.keyboard.type("not the password");
  response = await enter();
  report.wrong = await describe(response, "wrong");
  report.wrong.summary = await page.evaluate(() =>
    [...document.querySelectorAll("#error-summary li")].map((li) => li.textContent.trim()));
  report.wrong.email_kept = await page.evaluate(() => document.querySelector("#email")?.value);

  // 3. The right password: on to the page that was asked for.
  await tabTo(() => document.activeElement?.id === "password", "the password field");
  await page.keyboard.type(args.password);
  response = await enter();
  report.dashboard = await describe(response, "dashboard");

  // 4. Sign out.
  await tabTo(() => {
    const el = document.activeElement;
    return el?.tagName === "BUTTON" && !!el.closest("nav.account");
  }, "the sign-out button");
  response = await enter();
  report.signed_out = await describe(response, "signed-out");
  report.signed_out.status_text = await page.evaluate(() =>
    document.querySelector("[role=status]")?.textContent.trim() ?? null);

  process.stdout.write(JSON.stringify(report));
} finally {
  await browser.close();
}
