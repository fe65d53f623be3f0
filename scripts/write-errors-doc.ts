// Rewrites the generated table in docs/errors.md from the error registry in src/core/errors.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { ERRORS_TABLE_BEGIN, ERRORS_TABLE_END, renderErrorsTable } from '../src/dialects/errors-doc.js';

const path = new URL('../docs/errors.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const start = doc.indexOf(ERRORS_TABLE_BEGIN);
const end = doc.indexOf(ERRORS_TABLE_END);
if (start < 0 || end < 0) throw new Error('docs/errors.md: table markers not found');
writeFileSync(path, doc.slice(0, start) + renderErrorsTable() + doc.slice(end + ERRORS_TABLE_END.length));
console.log('docs/errors.md updated');
