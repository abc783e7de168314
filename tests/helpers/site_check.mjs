// Read the built docs site as a reader would, in headless Chromium over the DevTools
// protocol (tests/integration/test_docs_site.py starts both and reads the JSON printed).
// Usage: node --experimental-websocket site_check.mjs DEVTOOLS_PORT SITE_URL SCREENSHOT.png
import { writeFileSync } from "node:fs";

const [port, site, screenshot] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let targets = [];
for (let i = 0; i < 100 && !targets.some((t) => t.type === "page"); i++) {
  try {
    targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  } catch {
    await sleep(100);
  }
}
const ws = new WebSocket(targets.find((t) => t.type === "page").webSocketDebuggerUrl);
await new Promise((resolve) => ws.addEventListener("open", resolve));
let next = 0;
const pending = new Map();
ws.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  if (message.id && pending.has(message.id)) {
    pending.get(message.id)(message);
    pending.delete(message.id);
  }
});
const send = (method, params = {}) =>
  new Promise((resolve) => {
    const id = ++next;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
const evaluate = async (expression) =>
  (await send("Runtime.evaluate", { expression, returnByValue: true })).result.result.value;
// wait until expression gives something truthy (the page loaded, the worker answered)
const until = async (expression) => {
  for (let i = 0; i < 150; i++) {
    const value = await evaluate(expression);
    if (value && (!Array.isArray(value) || value.length)) return value;
    await sleep(100);
  }
  return null;
};

const report = {};
await send("Page.enable");
await send("Emulation.setDeviceMetricsOverride", { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
await send("Page.navigate", { url: `${site}/` });
// the top level of the navigation, in order (the current page is listed twice by Material)
report.sections = await until(
  `[...new Set([...document.querySelectorAll('.md-nav--primary > .md-nav__list > .md-nav__item > .md-nav__link')].map(e => e.textContent.trim()))]`,
);
const shot = await send("Page.captureScreenshot", { format: "png" });
writeFileSync(screenshot, Buffer.from(shot.result.data, "base64"));

// navigation: follow the nav's link to the tutorial, as a click would
await evaluate(`[...document.querySelectorAll('.md-nav--primary a.md-nav__link')].find(a => a.textContent.trim() === 'Getting started').click()`);
report.tutorial = await until(`location.pathname.endsWith('/getting-started/') && document.querySelector('h1')?.firstChild?.textContent`);
report.copyButtons = await until(`document.querySelectorAll('button[data-md-type="copy"]').length`);
report.highlighted = await evaluate(`document.querySelectorAll('.highlight code span').length`);
report.markers = await evaluate(`document.body.innerText.includes('tutorial-run')`);

// search: the query parameter opens the search with the query; the worker answers
await send("Page.navigate", { url: `${site}/?q=journal` });
report.search = await until(`[...document.querySelectorAll('.md-search-result__item h1')].map(e => e.textContent.trim())`);
console.log(JSON.stringify(report));
ws.close();
