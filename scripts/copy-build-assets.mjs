// tsc compiles only TypeScript: copy the files the code reads beside itself (SQL migrations) into dist/.
import { cpSync } from 'node:fs';

cpSync('src/database/migrations', 'dist/database/migrations', {
  recursive: true,
  filter: (source) => !source.includes('.') || source.endsWith('.sql'),
});
