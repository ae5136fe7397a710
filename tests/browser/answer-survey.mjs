// Answers one citizen survey link of a running sipas in Debian's headless Chromium, with the
// keyboard only, and prints a JSON report that the Rust test (tests/api/citizen_page.rs) asserts
// on. The walk:
//   1. open the link: the questionnaire (axe-core, screenshot);
//   2. Tab to the submit button and press Enter with nothing rated: the page comes back with
//      errors (axe-core, screenshot; the error summary should have the focus);
//   3. Tab through that page: on the first radio of each scale question press Space, then the
//      right arrow key a few times (so the levels differ), Tab on to the next; Enter on the
//      submit button: the thank-you page with the receipt (axe-core, screenshot);
//   4. open the link again: "already answered" (axe-core, screenshot).
// The hidden `submission_key` of the form and of the errors page (the one sent) are reported.
//
// usage: node answer-survey.mjs '{"url": "...", "shots": "/abs/target/prefix", "width": 360}'
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
    headers: {
      content_type: response.headers()["content-type"] ?? null,
      content_language: response.headers()["content-language"] ?? null,
      csp: response.headers()["content-security-policy"] ?? null,
      referrer_policy: response.headers()["referrer-policy"] ?? null,
    },
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

/// What has the focus: its question (if any), whether it is a scale radio, and whether that
/// question is answered yet.
async function focused() {
  return await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const group = el.closest("[data-question]");
    return {
      tag: el.tagName,
      type: el.type ?? null,
      question: group?.dataset.question ?? null,
      scale: !!group && group.classList.contains("scale") && el.type === "radio",
      answered: !!group && !!group.querySelector("input:checked"),
      submit: el.tagName === "BUTTON" && el.type === "submit",
    };
  });
}

/// Presses Enter on the submit button (reached with Tab) and waits for the next page.
async function submitWithKeyboard() {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.keyboard.press("Enter"),
  ]);
  return response;
}

async function tabToSubmit() {
  for (let i = 0; i < 3000; i++) {
    await page.keyboard.press("Tab");
    const f = await focused();
    if (f?.submit) return true;
  }
  return false;
}

/// The value of the form's hidden `submission_key` field (fresh for every rendering).
async function submissionKey() {
  return await page.evaluate(() =>
    document.querySelector('form input[type=hidden][name="submission_key"]')?.value ?? null);
}

const report = {};
try {
  // 1. The questionnaire.
  let response = await page.goto(args.url, { waitUntil: "load" });
  report.form = await describe(response, "form");
  report.form.scale_questions = await page.evaluate(() =>
    [...document.querySelectorAll("fieldset.scale[data-question]")].map((f) => f.dataset.question));
  report.form.submission_key = await submissionKey();
  report.form.prefilled = await page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll("textarea")]
      .filter((t) => t.value !== "").map((t) => [t.name, t.value])));

  // 2. Sent with nothing rated: the errors.
  if (!(await tabToSubmit())) throw new Error("the keyboard never reached the submit button");
  response = await submitWithKeyboard();
  report.errors = await describe(response, "errors");
  report.errors.summary = await page.evaluate(() =>
    [...document.querySelectorAll("#error-summary li")].map((li) => li.textContent.trim()));
  // The hidden key of this rendering: the one the form below is sent with.
  report.errors.submission_key = await submissionKey();

  // 3. Every scale question answered with the keyboard, then sent.
  const answered = {};
  let steps = 0;
  for (let i = 0; i < 4000; i++) {
    await page.keyboard.press("Tab");
    const f = await focused();
    if (f === null) continue;
    if (f.scale && !f.answered) {
      await page.keyboard.press("Space");
      const moves = steps % 5;
      for (let m = 0; m < moves; m++) await page.keyboard.press("ArrowRight");
      steps++;
      answered[f.question] = await page.evaluate((q) =>
        Number(document.querySelector(`[data-question="${q}"] input:checked`)?.value ?? NaN), f.question);
    }
    if (f.submit && Object.keys(answered).length >= report.form.scale_questions.length) break;
  }
  report.answered = answered;
  const onSubmit = await focused();
  if (!onSubmit?.submit) throw new Error("the keyboard did not end on the submit button");
  response = await submitWithKeyboard();
  report.thanks = await describe(response, "thanks");
  report.thanks.receipt = await page.evaluate(() =>
    document.querySelector("#receipt")?.textContent.trim() ?? null);
  report.thanks.text = await page.evaluate(() => document.querySelector("main").innerText);

  // 4. The link again.
  response = await page.goto(args.url, { waitUntil: "load" });
  report.again = await describe(response, "again");

  process.stdout.write(JSON.stringify(report));
} finally {
  await browser.close();
}
