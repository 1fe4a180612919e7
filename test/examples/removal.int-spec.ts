import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyRemoval,
  cutExampleRegions,
  expandPattern,
  planRemoval,
  RemovalError,
} from '../../scripts/examples/removal.mjs';

/** `npm run examples:remove` on a small repository of its own, in a temporary directory. */

const manifest = {
  examples: ['src/contexts/demo/', 'migrations/3-views.ts', 'test/demo/', 'test/elsewhere/*.ts', 'web-demo/'],
  squash: { migrations: ['migrations/1-a.ts', 'migrations/2-b.ts'], into: 'scripts/examples/1-squashed.ts' },
  registrations: ['src/contexts/index.ts'],
  tooling: ['scripts/examples/'],
  buildOutput: ['dist/'],
  packageScripts: ['examples:remove'],
};

const files: Record<string, string> = {
  'scripts/examples/manifest.json': JSON.stringify(manifest),
  'scripts/examples/1-squashed.ts': 'export class Squashed1 {}\n',
  'migrations/1-a.ts': 'export class A1 {}\n',
  'migrations/2-b.ts': 'export class B2 {}\n',
  'migrations/3-views.ts': 'export class Views3 {}\n',
  'migrations/4-kept.ts': 'export class Kept4 {}\n',
  'migrations/index.ts': [
    "import { A1 } from './1-a.js';",
    "import { B2 } from './2-b.js';",
    "import { Views3 } from './3-views.js';",
    "import { Kept4 } from './4-kept.js';",
    "import { Mine5 } from './5-mine.js';",
    '',
    '/** The comment of this project. */',
    'export const migrations = [A1, B2, Views3, Kept4, Mine5];',
    '',
  ].join('\n'),
  'src/contexts/demo/demo.module.ts': 'export class DemoModule {}\n',
  'src/contexts/demo/things.ts': 'export const demoThings = [];\n',
  // The user's own context, generated beside the example: it stays, registered, with its test and migration.
  'src/contexts/mine/mine.module.ts': 'export class MineModule {}\n',
  'test/mine/mine.e2e-spec.ts': "it('still works', () => undefined);\n",
  'migrations/5-mine.ts': 'export class Mine5 {}\n',
  // No markers: the generators append to these imports and this array.
  'src/contexts/index.ts': [
    "import { DemoModule } from './demo/demo.module.js';",
    "import { demoThings } from './demo/things.js';",
    "import { Machinery } from '../machinery.js';",
    "import { MineModule } from './mine/mine.module.js';",
    '',
    '/** Every context. */',
    'export const contextModules = [DemoModule, Machinery, ...demoThings, MineModule];',
    '',
  ].join('\n'),
  'src/app.ts': [
    '// example:start',
    "import { DemoModule } from './contexts/demo/demo.module.js';",
    '// example:end',
    'export const app = 1;',
    '',
  ].join('\n'),
  'test/demo/demo.e2e-spec.ts': "it('works', () => undefined);\n",
  'dist/src/contexts/demo/demo.entity.js': 'export class Demo {}\n',
  'README.md': [
    '# Demo',
    '',
    '<!-- example:start -->',
    '',
    '## The example',
    '',
    'Text about `// example:start`, which is no marker.',
    '',
    '<!-- example:end -->',
    '',
    '## Kept',
    '',
  ].join('\n'),
  'package.json': JSON.stringify({
    scripts: { test: 'jest', 'examples:remove': 'node x.mjs' },
    workspaces: ['clients/kept', 'web-demo'],
  }),
  // A workspace of the user's, and an example front end that is one too.
  'clients/kept/package.json': JSON.stringify({ name: 'kept', version: '1.0.0' }),
  'web-demo/package.json': JSON.stringify({ name: 'web-demo', version: '1.0.0', dependencies: { kept: '*' } }),
  // Never scanned: a dependency's markers are none of the project's business.
  'node_modules/dependency/index.ts': '// example:start\nexport const x = 1;\n// example:end\n',
};

let root: string;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'chronicle-removal-'));
  for (const [path, text] of Object.entries(files)) write(path, text);
  // Formatting as the project formats.
  cpSync(new URL('../../.prettierrc.json', import.meta.url), join(root, '.prettierrc.json'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('removing the examples', () => {
  it('deletes what the manifest lists, squashes the migrations, cuts marked regions and drops the npm script', async () => {
    const plan = planRemoval(root);
    expect(read('src/contexts/index.ts')).toBe(files['src/contexts/index.ts']); // planning changes nothing
    expect(plan.rewrites.map((rewrite) => rewrite.path).sort()).toEqual([
      'README.md',
      'src/app.ts',
      'src/contexts/index.ts',
    ]);
    const log: string[] = [];
    await applyRemoval(plan, (line) => log.push(line));

    for (const gone of [
      'scripts',
      'dist',
      'src/contexts/demo',
      'test/demo',
      'scripts/examples',
      'migrations/1-a.ts',
      'migrations/3-views.ts',
    ]) {
      expect({ gone, exists: existsSync(join(root, gone)) }).toEqual({ gone, exists: false });
    }
    expect(read('migrations/1-squashed.ts')).toBe(files['scripts/examples/1-squashed.ts']);
    expect(read('migrations/index.ts')).toBe(
      [
        "import { Squashed1 } from './1-squashed.js';",
        "import { Kept4 } from './4-kept.js';",
        "import { Mine5 } from './5-mine.js';",
        '',
        '/** The comment of this project. */',
        'export const migrations = [Squashed1, Kept4, Mine5];',
        '',
      ].join('\n'),
    );
    expect(read('src/contexts/index.ts')).toBe(
      [
        "import { Machinery } from '../machinery.js';",
        "import { MineModule } from './mine/mine.module.js';",
        '',
        '/** Every context. */',
        'export const contextModules = [Machinery, MineModule];',
        '',
      ].join('\n'),
    );
    for (const kept of ['src/contexts/mine/mine.module.ts', 'test/mine/mine.e2e-spec.ts', 'migrations/5-mine.ts']) {
      expect(read(kept)).toBe(files[kept]);
    }
    expect(read('src/app.ts')).toBe('export const app = 1;\n');
    expect(read('README.md')).toBe('# Demo\n\n## Kept\n');
    expect(JSON.parse(read('package.json'))).toEqual({ scripts: { test: 'jest' }, workspaces: ['clients/kept'] });
    expect(read('node_modules/dependency/index.ts')).toBe(files['node_modules/dependency/index.ts']);
    expect(log).toEqual(
      expect.arrayContaining([
        'removed   src/contexts/demo/',
        'removed   migrations/3-views.ts',
        'edited    src/contexts/index.ts (no more DemoModule, demoThings)',
        'edited    src/app.ts (1 example region)',
        'dropped   npm script examples:remove from package.json',
        'dropped   workspace web-demo from package.json',
        'absent    test/elsewhere/*.ts (nothing matches it: gone already, or an outdated entry)',
      ]),
    );
  });

  it('refuses to run again', async () => {
    await applyRemoval(planRemoval(root), () => undefined);
    write('scripts/examples/manifest.json', JSON.stringify(manifest)); // as if the tooling were back
    expect(() => planRemoval(root)).toThrow(RemovalError);
    expect(() => planRemoval(root)).toThrow(/^The examples are gone already/);
  });

  it('changes nothing when a marker is unbalanced, and says where', () => {
    write('docs/GUIDE.md', 'Intro\n<!-- example:start -->\nExample\n');
    expect(() => planRemoval(root)).toThrow(RemovalError);
    expect(() => planRemoval(root)).toThrow('docs/GUIDE.md:2: example:start without an example:end');
    expect(existsSync(join(root, 'src/contexts/demo'))).toBe(true);
  });
});

describe('cutExampleRegions', () => {
  it('cuts each region with its markers, and only whole-line markers count', () => {
    const text = [
      'a',
      '  // example:start',
      'b',
      '// example:end',
      'c // example:start',
      '<!-- example:start -->',
      'd',
      '<!-- example:end -->',
      'e',
    ];
    expect(cutExampleRegions(text.join('\n'), 'x.ts')).toEqual({ text: 'a\nc // example:start\ne', regions: 2 });
  });

  it.each([
    ['// example:end', 'x.ts:1: example:end without an example:start'],
    ['// example:start\n// example:start', 'x.ts:2: example:start inside the region of line 1'],
  ])('refuses %j', (text, message) => {
    expect(() => cutExampleRegions(text, 'x.ts')).toThrow(message);
  });
});

describe("the project's manifest", () => {
  it("names the example contexts one by one, never a context of the user's", () => {
    const real = JSON.parse(readFileSync(new URL('../../scripts/examples/manifest.json', import.meta.url), 'utf8')) as {
      examples: string[];
    };
    for (const name of ['accounts', 'transfers', 'reporting', 'inventory']) write(`src/contexts/${name}/x.ts`, '');
    const matched = real.examples.flatMap((pattern) => expandPattern(root, pattern));
    expect(matched.filter((path) => path.startsWith('src/contexts/')).sort()).toEqual([
      'src/contexts/accounts',
      'src/contexts/reporting',
      'src/contexts/transfers',
    ]);
  });
});

describe('npm run examples:remove', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['scripts/examples/remove.mjs', ...args], { cwd: root, encoding: 'utf8' });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });

  beforeEach(() => {
    for (const script of ['remove.mjs', 'removal.mjs']) {
      cpSync(new URL(`../../scripts/examples/${script}`, import.meta.url), join(root, 'scripts/examples', script));
    }
    // The scripts import prettier and typescript: the project's, through a node_modules beside them.
    symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(root, 'scripts/node_modules'));
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'start');
  });

  it('refuses while work is uncommitted, changing nothing, and runs with --force', () => {
    write('src/contexts/mine/draft.ts', 'export const draft = 1;\n');
    const refused = run();
    expect({ status: refused.status, stderr: refused.stderr }).toEqual({
      status: 1,
      stderr: expect.stringContaining('uncommitted changes'),
    });
    expect(git('status', '--porcelain')).toBe('?? src/contexts/mine/draft.ts\n');

    const forced = run('--force');
    expect(forced.status).toBe(0);
    expect(existsSync(join(root, 'src/contexts/demo'))).toBe(false);
    expect(read('src/contexts/mine/draft.ts')).toBe('export const draft = 1;\n');
  });

  it('prints an undo that restores the examples and leaves the rest alone', () => {
    const removed = run();
    expect(removed.status).toBe(0);
    const undo = /^Undo: (.*)$/m.exec(removed.stdout)?.[1];
    expect(undo).toBeDefined();
    write('src/contexts/mine/after.ts', 'export const after = 1;\n');
    execFileSync('sh', ['-c', undo!], { cwd: root });
    expect(read('src/contexts/demo/demo.module.ts')).toBe(files['src/contexts/demo/demo.module.ts']);
    expect(read('src/contexts/index.ts')).toBe(files['src/contexts/index.ts']);
    expect(read('src/contexts/mine/after.ts')).toBe('export const after = 1;\n');
    expect(git('status', '--porcelain')).toBe('?? src/contexts/mine/after.ts\n');
  });

  it('takes the example front end out of package-lock.json, for npm ci; the undo brings it back', () => {
    const lock = () => JSON.parse(read('package-lock.json')) as { packages: Record<string, { workspaces?: string[] }> };
    execFileSync(
      'npm',
      ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      {
        cwd: root,
      },
    );
    git('add', 'package-lock.json');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'lock');
    // What npm records of node_modules: as npm install left it, web-demo's link included.
    const installed = read('node_modules/.package-lock.json');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'node_modules');
    const before = read('package-lock.json');
    expect(Object.keys(lock().packages)).toEqual(expect.arrayContaining(['web-demo', 'node_modules/web-demo']));

    const removed = run();
    expect({ status: removed.status, stderr: removed.stderr }).toEqual({ status: 0, stderr: '' });
    expect(Object.keys(lock().packages).sort()).toEqual(['', 'clients/kept', 'node_modules/kept']);
    expect(lock().packages[''].workspaces).toEqual(['clients/kept']);
    expect(read('node_modules/.package-lock.json')).toBe(installed);

    execFileSync('sh', ['-c', /^Undo: (.*)$/m.exec(removed.stdout)![1]], { cwd: root });
    expect(read('package-lock.json')).toBe(before);
  });
});
