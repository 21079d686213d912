// Checks the dependency rules of STYLE.md: @tchannel/core imports no other @tchannel package, and
// no package has an import cycle among its own source files. Exits non-zero on a violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const problems = [];

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)]
    .filter((m) => !/^\s*(?:import|export)\s+type\s/.test(m[0]))
    .map((m) => m[1]);
}

function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

for (const pkg of readdirSync(join(root, 'packages'))) {
  const src = join(root, 'packages', pkg, 'src');
  let files;
  try {
    files = sourceFiles(src);
  } catch {
    continue;
  }
  const graph = new Map();
  for (const file of files) {
    const deps = [];
    for (const spec of importsOf(file)) {
      if (pkg === 'core' && spec.startsWith('@tchannel/')) problems.push(`${file}: core must not import ${spec}`);
      if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (target) deps.push(target);
      }
    }
    graph.set(file, deps);
  }
  const state = new Map();
  const stack = [];
  const visit = (file) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'active') {
      problems.push(`import cycle: ${stack.slice(stack.indexOf(file)).concat(file).map((f) => f.slice(root.length + 1)).join(' -> ')}`);
      return;
    }
    state.set(file, 'active');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) visit(dep);
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('dependency rules hold: core imports no scheme, no import cycles');
