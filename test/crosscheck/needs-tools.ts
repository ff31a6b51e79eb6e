// Tests that need the real toolchain run only when it is installed. Without it they skip with
// one line saying which tool is missing and how to install it, unless $CI is set: there a
// missing tool is a failure, so a broken CI image cannot pass by skipping everything.

import { describe, test } from 'vitest';

import { missingTools, type ToolName } from '../../generator/crosscheck/toolchain.js';

export function describeWithTools(name: string, tools: ToolName[], body: () => void): void {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const why = missing.map((m) => m.message.split('\n')[0]).join('; ');
  if (process.env.CI) {
    describe(name, () => {
      test('needs the real toolchain', () => {
        throw new Error(`CI is set but tools are missing: ${why}`);
      });
    });
    return;
  }
  console.log(`skipping "${name}": ${why}`);
  describe.skip(name, body);
}

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
