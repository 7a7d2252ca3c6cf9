import { killAllChildren } from './server-process.js';

// A failed test must not leave a server running: it would keep Jest (and CI) waiting.
afterAll(() => killAllChildren());
