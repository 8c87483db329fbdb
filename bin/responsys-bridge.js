#!/usr/bin/env node
// Operator entry point (`responsys-bridge <command>`): loads the TypeScript CLI in-process through
// tsx's loader, so the installed package needs no build step and signals reach the bridge directly.
import { register } from 'tsx/esm/api';

register();
await import('../bridge/src/cli/main.ts');
