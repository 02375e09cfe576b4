#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step), from any working directory.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli.ts', import.meta.url).href);
