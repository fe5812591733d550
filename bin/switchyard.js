#!/usr/bin/env -S node --max-semi-space-size=8
// The V8 flag above is how Switchyard runs (npm start passes the same; bench/processes.ts reads it from here):
// a young generation of 8 MB semi-spaces instead of Node 20's 16 keeps the server 17-43 MB smaller under load at
// the same speed (docs/benchmarks.md, 2026-12-07 midday).
import '../dist/src/cli/main.js';
