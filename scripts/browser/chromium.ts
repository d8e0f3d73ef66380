/**
 * Where the headless Chromium of the browser tests is, and how to get it on a fresh Debian
 * machine: Debian's `chromium` package (apt-get), driven through playwright-core with
 * `executablePath` — playwright's own browser download needs a host CI cannot reach.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Tried in order; `CHROMIUM_PATH` wins when set. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium binary to launch, or undefined when none is installed. */
export function chromiumPath(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return executable(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find(executable);
}

/**
 * Installs Debian's chromium when no Chromium is found (root, apt-get); a no-op otherwise.
 * Returns the binary's path; throws with what to do when it cannot install.
 */
export function installChromium(log: (line: string) => void = () => undefined): string {
  const found = chromiumPath();
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new Error(
      'no Chromium found; run as root, or `sudo apt-get install -y chromium`, or set CHROMIUM_PATH',
    );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log('installing Debian chromium with apt-get ...');
  const run = (args: string[]) => {
    const result = spawnSync('apt-get', args, { env, encoding: 'utf8' });
    if (result.status !== 0)
      throw new Error(
        `apt-get ${args.join(' ')} failed (${result.status}):\n${(result.stderr ?? '').slice(-2000)}`,
      );
  };
  run(['update', '-qq']);
  run(['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core']);
  const installed = chromiumPath();
  if (!installed) throw new Error('apt-get installed chromium but no binary was found; set CHROMIUM_PATH');
  return installed;
}

/** `chromium --version`, for logs. */
export function chromiumVersion(path: string): string {
  // Debian's wrapper script prints a shell warning on some machines: keep stderr out
  return execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}
