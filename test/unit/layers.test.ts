import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** DESIGN.md: isomorphic folders import no Node module, and imports point down the layers only. */

const SRC = join(import.meta.dirname, '../../src');
const ISOMORPHIC = ['core', 'policy', 'network', 'analytics', 'http', 'queue', 'transfer', 'session'];
const NODE_ONLY_PACKAGES = ['better-sqlite3', 'ws', '@tus/server', '@tus/file-store', 'undici'];
/** Which folders each folder may import from (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  policy: ['core'],
  network: ['core', 'policy'],
  analytics: ['core', 'policy'],
  http: ['core', 'policy', 'network', 'analytics'],
  queue: ['core', 'policy', 'network', 'analytics', 'http'],
  transfer: ['core', 'policy', 'network', 'analytics', 'http', 'queue'],
  session: ['core', 'policy', 'network', 'analytics', 'http'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map(
    (match) => match[1] as string,
  );
}

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

describe('layering', () => {
  for (const folder of ISOMORPHIC) {
    const dir = join(SRC, folder);
    let files: string[] = [];
    try {
      files = sourceFiles(dir);
    } catch {
      continue; // not built yet
    }
    it(`${folder}/ imports no Node-only module and nothing from a layer above`, () => {
      const offences: string[] = [];
      for (const file of files) {
        for (const specifier of importsOf(file)) {
          const where = relative(SRC, file);
          if (nodeBuiltins.has(specifier) || NODE_ONLY_PACKAGES.includes(specifier))
            offences.push(`${where}: ${specifier}`);
          const up = /^\.\.\/([^/]+)\//.exec(specifier);
          if (up && !(ALLOWED[folder] ?? []).includes(up[1] as string))
            offences.push(`${where}: ${specifier} (above ${folder})`);
        }
      }
      expect(offences).toEqual([]);
    });
  }
});
