// `node scripts/examples/doc-references.mjs <before> <after>`: the references in the Markdown
// files of <after> (relative links, and code spans that are whole repository paths) to a
// file that <before> has and <after> has not. check-examples-remove.sh runs it on the
// repository and its scratch copy without the examples: every such reference is a document
// still pointing at a removed file. Exits 1 when there is one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { NEVER_SCANNED } from './removal.mjs';

const [before, after] = process.argv.slice(2);
if (!before || !after) {
  console.error('usage: node scripts/examples/doc-references.mjs <before> <after>');
  process.exit(2);
}
// The folders the removal never scans, and bench/results: reports of past runs, which name what those runs measured.
const NEVER_READ = new Set([...NEVER_SCANNED, 'results']);
const PATH_SPAN = /`((?:src|test|migrations|scripts|bench|docs|clients|deploy|schematics|web)\/[\w.\-/]+)`/g;
const LINK = /\]\(([^)\s]+)\)/g;

/** @param {string} dir relative to `after` @returns {string[]} */
function markdownFiles(dir = '') {
  return readdirSync(join(after, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (NEVER_READ.has(entry.name)) return [];
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const dangling = markdownFiles().flatMap((file) => {
  const text = readFileSync(join(after, file), 'utf8');
  const links = [...text.matchAll(LINK)]
    .map((match) => match[1].split('#')[0])
    .filter((target) => target !== '' && !/^[a-z]+:/i.test(target))
    .map((target) => normalize(join(dirname(file), target)));
  const spans = [...text.matchAll(PATH_SPAN)].map((match) => match[1]);
  return (
    [...links, ...spans]
      // Installed or built, not written: whether it is there says nothing about the removal.
      .filter((path) => !path.split('/').some((segment) => NEVER_READ.has(segment)))
      .filter((path) => existsSync(join(before, path)) && !existsSync(join(after, path)))
      .map((path) => `${file}: ${path}`)
  );
});
if (dangling.length > 0) {
  console.error(`Documents that point at removed files:\n${dangling.join('\n')}`);
  process.exit(1);
}
console.log('no document points at a removed file');
