// Opens one page of a running sipas in Debian's headless Chromium and prints a JSON report that
// the Rust tests assert on: the questions on the page, which of them the keyboard reaches, the
// axe-core violations, whether the page fits a 360 px phone, and a screenshot.
//
// usage: node inspect-page.mjs '{"url": "...", "screenshot": "target/x.png", "width": 360}'
import { axe, launch } from "./lib.mjs";

const args = JSON.parse(process.argv[2]);
const width = args.width ?? 360;

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  const response = await page.goto(args.url, { waitUntil: "load" });
  const report = {
    status: response.status(),
    content_language: response.headers()["content-language"] ?? null,
    title: await page.title(),
    lang: await page.evaluate(() => document.documentElement.lang),
    questions: await page.evaluate(() =>
      [...document.querySelectorAll("[data-question]")].map((el) => el.dataset.question)),
    scripts: await page.evaluate(() => document.querySelectorAll("script").length),
    fits_width: await page.evaluate((w) => document.documentElement.scrollWidth <= w, width),
  };

  // Walk the page with the Tab key and note which question each focused control belongs to,
  // and whether the focused control shows a visible focus indicator.
  const reached = new Set();
  let invisibleFocus = [];
  for (let i = 0; i < 2000; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const q = el.closest("[data-question]");
      const style = getComputedStyle(el);
      const visible = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
        || style.boxShadow !== "none";
      return { question: q ? q.dataset.question : null, tag: el.tagName, visible,
               name: el.name || el.id || el.textContent.trim().slice(0, 30) };
    });
    if (info === null) break;
    if (info.question) reached.add(info.question);
    if (!info.visible) invisibleFocus.push(info.name);
    if (info.tag === "BUTTON" && info.name && reached.size >= report.questions.length) break;
  }
  report.keyboard_reached = [...reached];
  report.invisible_focus = invisibleFocus;

  report.violations = await axe(page);

  if (args.screenshot) {
    await page.screenshot({ path: args.screenshot, fullPage: true });
    report.screenshot = args.screenshot;
  }
  process.stdout.write(JSON.stringify(report));
} finally {
  await browser.close();
}
