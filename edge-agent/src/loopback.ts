/**
 * Whether a URL hostname names this host (`localhost`, `127.0.0.0/8`, `[::1]`), where plain
 * http and mqtt are allowed for development.
 *
 * @example
 * ```ts
 * isLoopbackHost(new URL('http://127.0.0.1:8080').hostname); // true
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
