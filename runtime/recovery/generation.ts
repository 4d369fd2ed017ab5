// A recovery's generation: a random u32 other than INVALID (1).
import { randomInt } from 'node:crypto';
import { INVALID_GENERATION } from '../protocol/constants.js';

export function newGeneration(random: () => number = () => randomInt(0, 2 ** 32)): number {
  for (;;) {
    const g = random() >>> 0;
    if (g !== INVALID_GENERATION) return g;
  }
}
