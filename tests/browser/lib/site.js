// Builds dossiers with the real `dossier` binary and serves them from
// 127.0.0.1 under a sub-path, the way a GitHub Pages project site is served:
// every link in the build must carry the `/dossier/` prefix to work.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const PREFIX = "/dossier/";

/** The two dossiers under test: the repository's own and a small fixture. */
export const DOSSIERS = {
  repo: REPO,
  fixture: path.join(REPO, "tests", "fixtures", "good"),
};

let binaryPath = null;

/**
 * The `dossier` binary: `$DOSSIER_BIN` when set, otherwise whatever
 * `cargo build --locked` produces (a no-op after `cargo test` in CI).
 */
export function dossierBinary() {
  if (binaryPath) return binaryPath;
  if (process.env.DOSSIER_BIN) {
    binaryPath = path.resolve(process.env.DOSSIER_BIN);
    if (!fs.existsSync(binaryPath)) throw new Error(`DOSSIER_BIN=${binaryPath} does not exist`);
    return binaryPath;
  }
  const out = execFileSync(
    "cargo",
    ["build", "--locked", "--bin", "dossier", "--message-format=json-render-diagnostics"],
    { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 },
  );
  for (const line of out.split("\n")) {
    if (!line.startsWith("{")) continue;
    const msg = JSON.parse(line);
    if (msg.reason === "compiler-artifact" && msg.executable && msg.target.name === "dossier") {
      binaryPath = msg.executable;
    }
  }
  if (!binaryPath) throw new Error("cargo build did not report the dossier executable");
  return binaryPath;
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".xml": "application/xml",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

/**
 * A static file server for `dir` under `/dossier/`, like GitHub Pages:
 * `/dossier/x/` serves `x/index.html`, `/dossier/x` redirects to `x/` when
 * that is a folder, and anything missing gets the site's 404.html with a 404.
 */
export function serve(dir) {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    let rel;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      rel = null;
    }
    const notFound = () => {
      const page = path.join(root, "404.html");
      res.writeHead(404, { "content-type": TYPES[".html"] });
      res.end(req.method === "HEAD" || !fs.existsSync(page) ? undefined : fs.readFileSync(page));
    };
    if (rel === null || !rel.startsWith(PREFIX) || rel.includes("\0")) return notFound();
    let file = path.join(root, rel.slice(PREFIX.length));
    if (file !== root && !file.startsWith(root + path.sep)) return notFound();
    let stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat && stat.isDirectory()) {
      if (!rel.endsWith("/")) {
        res.writeHead(301, { location: url.pathname + "/" + url.search });
        return res.end();
      }
      file = path.join(file, "index.html");
      stat = fs.statSync(file, { throwIfNoEntry: false });
    }
    if (!stat || !stat.isFile() || path.basename(file).startsWith(".")) return notFound();
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] || "application/octet-stream",
      "content-length": stat.size,
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") return res.end();
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/**
 * Serves and builds one dossier: starts the server first (the port is part
 * of `--base-url`), then builds into a fresh folder under the OS temp dir.
 */
export async function buildAndServe(name) {
  const root = DOSSIERS[name];
  if (!fs.existsSync(path.join(root, "dossier.toml"))) {
    throw new Error(`no dossier at ${root}`);
  }
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `dossier-browser-${name}-`)), "site");
  const server = await serve(out);
  const base = `http://127.0.0.1:${server.address().port}${PREFIX}`;
  execFileSync(dossierBinary(), ["build", "--root", root, "--out", out, "--base-url", base], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return {
    name,
    root,
    out,
    base,
    /** Absolute URL of a path relative to the site's root. */
    url: (rel = "") => new URL(rel, base).href,
    /** Every HTML page of the build, as paths relative to the site's root. */
    pages: () => listFiles(out).filter((f) => f.endsWith(".html")),
    files: () => listFiles(out),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(path.dirname(out), { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/** Relative paths (with `/`) of every file under `dir`, sorted. */
export function listFiles(dir) {
  const found = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && !entry.name.startsWith(".")) found.push(path.relative(dir, p).split(path.sep).join("/"));
    }
  };
  walk(dir);
  return found.sort();
}

/** The URL path of a built page: `topics/x/index.html` → `topics/x/`. */
export function pageUrlPath(file) {
  return file === "index.html" ? "" : file.replace(/(^|\/)index\.html$/, "$1");
}

/** Which kind of page a built file is, from its place in the site. */
export function pageKind(file) {
  if (file === "index.html") return "home";
  if (file === "404.html") return "404";
  const m = file.match(/^([^/]+)\/(?:([^/]+)\/)?index\.html$/);
  if (!m) return "other";
  const kinds = { topics: "topic", sources: "source", people: "person", compare: "compare", search: "search" };
  if (!m[2]) return { people: "people", search: "search" }[m[1]] || m[1];
  return kinds[m[1]] || m[1];
}

/** Where screenshots and reports go: the repository's git-ignored target/. */
export function artifactsDir(...sub) {
  const dir = path.join(REPO, "target", "browser", ...sub);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

