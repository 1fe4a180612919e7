import { join } from 'node:path';
import prettier from 'prettier';

/**
 * Formats every TypeScript file the generator created or changed with prettier, under the
 * repository's own configuration. (@nestjs/schematics' formatFiles resolves the
 * configuration from the tree's path, `/src/...`, outside the repository, so it misses it.)
 * @returns {import('@angular-devkit/schematics').Rule}
 */
export function formatFiles() {
  return async (tree) => {
    const changed = tree.actions.filter((action) => action.kind === 'c' || action.kind === 'o').map((a) => a.path);
    for (const path of new Set(changed)) {
      if (!path.endsWith('.ts') || !tree.exists(path)) continue;
      const filepath = join(process.cwd(), path);
      const options = (await prettier.resolveConfig(filepath)) ?? {};
      tree.overwrite(path, await prettier.format(tree.readText(path), { ...options, filepath }));
    }
  };
}
