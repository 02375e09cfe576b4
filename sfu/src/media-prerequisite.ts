/** Environment variable that turns a missing media prerequisite into a failing test. */
export const REQUIRE_MEDIA_ENV = 'SD_REQUIRE_MEDIA';

/** The part of uvu's `test` this needs (kept structural so the SFU does not import uvu). */
export interface PrerequisiteTest {
  (name: string, fn: () => void): void;
  skip(name: string, fn: () => void): void;
}

/** Error a required-but-missing prerequisite fails with; `code` is always `MEDIA_MISSING`. */
export class MediaPrerequisiteError extends Error {
  readonly code = 'MEDIA_MISSING';

  constructor(message: string) {
    super(message);
    this.name = 'MediaPrerequisiteError';
  }
}

/** Whether `SD_REQUIRE_MEDIA=1` asks for media tests to run rather than skip. */
export function mediaRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[REQUIRE_MEDIA_ENV] === '1';
}

/**
 * What an integration test file does when its media prerequisite (the mediasoup worker,
 * Chromium) is missing: by default it prints a `SKIP` line and registers a skipped test, which
 * the test runner counts as skipped; with `SD_REQUIRE_MEDIA=1` it registers a failing test that
 * names what is missing.
 *
 * @example
 * if (!bin.available) reportMissingMedia(test, 'simulcast tests', bin.reason);
 */
export function reportMissingMedia(
  test: PrerequisiteTest,
  suite: string,
  missing: string,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const name = `${suite} (needs: ${missing})`;
  if (mediaRequired(env)) {
    test(name, () => {
      throw new MediaPrerequisiteError(`${REQUIRE_MEDIA_ENV}=1 but ${missing}`);
    });
    return;
  }

  console.log(`SKIP ${suite}: ${missing}`);
  test.skip(name, () => undefined);
}
