// A local wheel for Python dependency tests: PyPI is not reachable here, so tests build a tiny
// pure-Python wheel with the stdlib's zipfile and point requirements.txt at it.
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Writes `greetpkg-1.0-py3-none-any.whl` (a module with `VALUE = 'from a wheel'`) to `file`. */
export async function writeGreetWheel(python: string, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const script = [
    'import sys, zipfile',
    'with zipfile.ZipFile(sys.argv[1], "w") as z:',
    '    z.writestr("greetpkg/__init__.py", "VALUE = \'from a wheel\'\\n")',
    '    z.writestr("greetpkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: greetpkg\\nVersion: 1.0\\n")',
    '    z.writestr("greetpkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
    '    z.writestr("greetpkg-1.0.dist-info/RECORD", "")',
  ].join('\n');
  execFileSync(python, ['-c', script, file]);
}
