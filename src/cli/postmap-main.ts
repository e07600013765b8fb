// Process entry point for bin/postmap (kept apart so src/cli/postmap.ts can be imported by tests
// and other code without running anything).
import { run } from './postmap.js';

void run();
