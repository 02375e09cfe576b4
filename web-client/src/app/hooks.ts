import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

import { session, type SessionData } from './api/session.js';

/** The current session, re-rendered on every change. */
export function useSession(): SessionData | undefined {
  const [data, setData] = useState(session.current());
  useEffect(() => session.subscribe((next) => setData(next)), []);

  return data;
}

/** The result of an async load, with a reload function. */
export interface Loaded<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` on mount and when `deps` change; with `refreshMs`, again on that period while
 * the page is visible. A failed refresh keeps the last good data and shows the error.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) =>
        live &&
        setState((s) => ({
          data: s.data,
          error: error instanceof Error ? error : new Error(String(error)),
          loading: false,
        })),
    );

    return () => {
      live = false;
    };
  }, [...deps, tick]);
  useEffect(() => {
    if (!refreshMs) {
      return undefined;
    }
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') {
        reload();
      }
    }, refreshMs);

    return () => clearInterval(timer);
  }, [refreshMs, reload]);

  return { ...state, reload };
}

/** The current time, updated every `periodMs`, for "5 min ago" labels. */
export function useNow(periodMs = 10_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);

    return () => clearInterval(timer);
  }, [periodMs]);

  return now;
}

/** Moves focus to the element when `key` changes (a new view's heading). */
export function useFocusOnChange<T extends HTMLElement>(key: unknown) {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [key]);

  return ref;
}
