import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the app serves the explorer page; its JSON API is under `/explorer/api`. */
export const EXPLORER_PATH = 'explorer';

/** The page and its own modules: src/explorer/public, which `nest build` copies beside the compiled code (nest-cli.json). */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/**
 * The front-end libraries, served from their installed packages as the ES modules those
 * ship, under the names the page's import map gives them: no bundler and no CDN.
 */
export function vendorFiles(): ReadonlyMap<string, string> {
  const { resolve } = createRequire(import.meta.url);
  return new Map([
    ['preact.mjs', resolve('preact')],
    ['hooks.mjs', resolve('preact/hooks')],
    // htm's `require` entry is CommonJS; its ES module lies beside it.
    ['htm.mjs', join(dirname(resolve('htm')), 'htm.mjs')],
  ]);
}

/**
 * The page's Content-Security-Policy: scripts, styles and requests only from this
 * origin. The import map has to be inline (browsers load no external one), so it is
 * allowed by the hash of its text, taken from the page as served.
 */
export function explorerContentSecurityPolicy(): Record<string, string[]> {
  const page = readFileSync(join(PUBLIC_DIR, 'index.html'), 'utf8');
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(page)?.[1];
  if (importMap === undefined) throw new Error(`${PUBLIC_DIR}index.html has no import map`);
  const hash = createHash('sha256').update(importMap).digest('base64');
  return {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'", `'sha256-${hash}'`],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  };
}
