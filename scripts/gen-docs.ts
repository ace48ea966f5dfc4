import { writeFileSync } from 'node:fs';
import { currentText, regenerated, sections } from './docs-sections.js';

// Rewrites the generated sections of the docs from the code (error catalogue, settings,
// Redis keys, job fields, Lua script headers).
for (const [file, parts] of Object.entries(sections())) {
  const after = await regenerated(file, parts);
  if (after !== currentText(file)) {
    writeFileSync(file, after);
    process.stdout.write(`updated ${file}\n`);
  }
}
