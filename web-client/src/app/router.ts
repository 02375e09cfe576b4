import { useEffect, useState } from 'preact/hooks';

/** The current route: the part of the URL hash after `#/` (`console`, `patient/p-1`). */
export function currentRoute(): string {
  return decodeURI(globalThis.location.hash.replace(/^#\/?/, ''));
}

/** Goes to an in-app route. */
export function navigate(route: string): void {
  globalThis.location.hash = `#/${route}`;
}

/** The route, updated on every hash change. */
export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    globalThis.addEventListener('hashchange', onChange);

    return () => globalThis.removeEventListener('hashchange', onChange);
  }, []);

  return route;
}

/** The `href` of an in-app route. */
export function hrefOf(route: string): string {
  return `#/${route}`;
}
