// Debian's Chromium and the flags that keep it headless-safe in CI and off
// the network: no sandbox (CI runs as root), no background requests, no
// component or sync updates, no first-run page.

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export const ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--metrics-recording-only",
  "--no-default-browser-check",
  "--disable-dev-shm-usage",
];
