// Finding tools, the messages for missing ones, and the hard timeout. None of this needs the
// cross toolchain: missing tools are simulated through the $SWITCHGEN_<TOOL> overrides.

import { afterEach, describe, expect, test } from 'vitest';

import {
  INSTALL_HINT, MissingToolError, findPreprocessor, missingTools, requireTool, requireToolchain, runStep, runTool,
} from '../../generator/crosscheck/toolchain.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['SWITCHGEN_QEMU', 'SWITCHGEN_LLVM_MC', 'SWITCHGEN_AS']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('toolchain discovery', () => {
  test('a missing tool is named with its package and the install command', () => {
    process.env.SWITCHGEN_QEMU = '/nonexistent/qemu-system-aarch64';
    expect(() => requireTool('qemu')).toThrow(MissingToolError);
    expect(() => requireTool('qemu')).toThrow(
      `qemu: not found (tried $SWITCHGEN_QEMU=/nonexistent/qemu-system-aarch64); it comes from the Debian package qemu-system-arm: ${INSTALL_HINT}`,
    );
  });

  test('requireToolchain lists every missing tool at once', () => {
    process.env.SWITCHGEN_QEMU = '/nonexistent/q';
    process.env.SWITCHGEN_LLVM_MC = '/nonexistent/m';
    const missing = missingTools(['qemu', 'llvm-mc', 'cpp']).map((m) => m.tool);
    expect(missing).toEqual(['qemu', 'llvm-mc']);
    expect(() => requireToolchain(['qemu', 'llvm-mc'])).toThrow(/^qemu: not found[^\n]*\nllvm-mc: not found .*package llvm/);
  });

  test('llvm-mc is found under a versioned name when the plain one is absent', () => {
    // Whatever is installed, the search must find something if any llvm-mc* exists, and the
    // override must win over the search.
    process.env.SWITCHGEN_LLVM_MC = '/bin/true';
    expect(requireTool('llvm-mc')).toBe('/bin/true');
  });

  test('the .S preprocessor is described for error messages', () => {
    const p = findPreprocessor();
    if (!p) return; // no cpp or gcc on this machine: nothing to describe
    expect(p.description).toMatch(/^(aarch64-linux-gnu-gcc -E|host cpp -undef|host gcc -E -undef) \(/);
    expect(p.argv).toContain('assembler-with-cpp');
  });
});

describe('running tools', () => {
  test('the hard timeout kills the process', async () => {
    const r = await runTool(['sleep', '30'], { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(r.ms).toBeLessThan(5000);
  });

  test('a failing step carries the command and the tool’s own output', async () => {
    await expect(runStep('listing', ['ls', '/nonexistent-dir-for-switchgen'])).rejects.toThrow(
      /^listing failed \(exit 2\): ls \/nonexistent-dir-for-switchgen\n.*No such file or directory/,
    );
  });
});
