/**
 * Whether this screen is watching alerts for someone: the alert console is open. The
 * session warning and the sign-in page read it to say, loudly, that alerts stop being
 * watched here when the session ends.
 */
let watchers = 0;

/** Marks the screen as watching alerts until the returned function is called. */
export function markWatchingAlerts(): () => void {
  watchers += 1;
  let done = false;

  return () => {
    if (!done) {
      done = true;
      watchers -= 1;
    }
  };
}

/** Whether an alert console is open on this screen. */
export function isWatchingAlerts(): boolean {
  return watchers > 0;
}
