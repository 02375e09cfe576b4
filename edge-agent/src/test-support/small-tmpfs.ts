import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Test scaffolding: a real, small filesystem (tmpfs) a test can fill to ENOSPC.
// Mounting needs root (or CAP_SYS_ADMIN); without it the caller is told why and skips.

/** A mounted tmpfs. */
export interface SmallTmpfs {
  dir: string;
  /** Unmounts (lazily, so a process still holding a file cannot block it) and removes the dir. */
  unmount(): void;
}

/**
 * Mounts a tmpfs of `size` (`2m`) on a fresh temp dir.
 *
 * @returns the mount, or the reason it could not be made (not root, EPERM, no `mount`).
 */
export function mountSmallTmpfs(size: string): SmallTmpfs | { skipped: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sd-tmpfs-'));
  const mount = (...args: string[]) =>
    execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (process.getuid?.() !== 0) {
    rmSync(dir, { recursive: true, force: true });

    return { skipped: 'not root: cannot mount a tmpfs' };
  }
  try {
    mount('-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();

    return { skipped: `mount -t tmpfs failed (${stderr || (error as Error).message})` };
  }
  let mounted = true;

  return {
    dir,
    unmount: () => {
      if (mounted) {
        execFileSync('umount', ['-l', dir]);
        mounted = false;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
