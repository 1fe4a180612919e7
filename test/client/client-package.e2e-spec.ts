import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('@chronicle/client', () => {
  it('is a workspace package: npm pack -w builds it and packs its module and types', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '-w', '@chronicle/client', '--dry-run', '--json', '--silent'], {
        cwd: ROOT,
        encoding: 'utf8',
      }),
    ) as { name: string; files: { path: string }[] }[];
    expect(packed.name).toBe('@chronicle/client');
    expect(packed.files.map((file) => file.path)).toEqual(
      expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/schema.d.ts']),
    );
  });
});
