/**
 * pnpm browser install|path
 *
 *   install  install Debian's chromium when no Chromium is found (apt-get, as root); quiet and
 *            instant when one is there. Prints the binary's path.
 *   path     print the binary's path; exit 1 when none is installed.
 *
 * Environment: CHROMIUM_PATH (use this binary).
 */
import { chromiumPath, chromiumVersion, installChromium } from './chromium.js';

const USAGE = 'usage: pnpm browser install|path';

function main(): void {
  const [command, ...extra] = process.argv.slice(2);
  if (extra.length > 0 || (command !== 'install' && command !== 'path')) {
    process.stderr.write(
      `browser: ${command ? `unknown command '${command}'` : 'missing command'}; ${USAGE}\n`,
    );
    process.exit(2);
  }
  if (command === 'path') {
    const path = chromiumPath();
    if (!path) {
      process.stderr.write('browser: no Chromium installed; run `pnpm browser install`\n');
      process.exit(1);
    }
    process.stdout.write(`${path}\n`);
    return;
  }
  try {
    const path = installChromium((line) => process.stderr.write(`browser: ${line}\n`));
    process.stdout.write(`${path} (${chromiumVersion(path)})\n`);
  } catch (error) {
    process.stderr.write(`browser: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

main();
