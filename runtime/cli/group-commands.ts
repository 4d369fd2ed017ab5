// Placeholder module: the group command group. Its commands are added by their own issue.
import type { Command } from './types.js';

export const commands: readonly Command[] = [];
