/**
 * The browser entry never reaches a Node module: walks the import graph of the built
 * browser.js and lists every package it imports. (The browser test bundles it for chromium.)
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

async function importsOf(entry: URL): Promise<{ files: string[]; packages: Set<string> }> {
  const files: string[] = [];
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const url = queue.pop()!;
    const path = fileURLToPath(url);
    if (files.includes(path)) continue;
    files.push(path);
    const source = await readFile(url, 'utf8');
    for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)|(?:^|\n)import\s+['"]([^'"]+)['"]/g)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (specifier.startsWith('.')) queue.push(new URL(specifier, url));
      else packages.add(specifier);
    }
  }
  return { files, packages };
}

test('the browser entry imports no Node module and not the file store', async () => {
  const { files, packages } = await importsOf(new URL('./browser.js', import.meta.url));
  assert.deepEqual([...packages].sort(), ['idb', 'zod']);
  assert.ok(!files.some((f) => f.endsWith('file-store.js')));
  assert.ok(files.some((f) => f.endsWith('client.js')), 'the walk followed the imports');
});

test('the Node entry adds the file store, and with it node:fs', async () => {
  const { files, packages } = await importsOf(new URL('./index.js', import.meta.url));
  assert.ok(files.some((f) => f.endsWith('file-store.js')));
  assert.ok(packages.has('node:fs/promises'));
});
