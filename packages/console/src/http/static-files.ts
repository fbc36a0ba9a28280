import { readFile } from "node:fs/promises";

/** The page's files: plain HTML, CSS and one script, served as they are (no build step). */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/console.js": { file: "console.js", type: "text/javascript; charset=utf-8" },
  "/console.css": { file: "console.css", type: "text/css; charset=utf-8" },
};

const PUBLIC_DIR = new URL("../../public/", import.meta.url);

/** The page's own content security policy: nothing but this origin, no inline script or style. */
export const PAGE_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-cache",
} as const;

/** Whether `path` is one of the page's files. */
export function isStaticPath(path: string): boolean {
  return Object.hasOwn(FILES, path);
}

const cache = new Map<string, Buffer>();

/** The file's bytes and content type (read once, then from memory). */
export async function staticFile(path: string): Promise<{ body: Buffer; type: string }> {
  const entry = FILES[path];
  if (entry === undefined) throw new Error(`no static file ${path}`);
  let body = cache.get(entry.file);
  if (body === undefined) {
    body = await readFile(new URL(entry.file, PUBLIC_DIR));
    cache.set(entry.file, body);
  }
  return { body, type: entry.type };
}
