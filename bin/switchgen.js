#!/usr/bin/env node
// The switchgen command: a thin launcher for the compiled CLI (npm ci runs `prepare`, which builds dist/).
import { main } from '../dist/generator/cli.js';

process.exitCode = await main(process.argv.slice(2));
