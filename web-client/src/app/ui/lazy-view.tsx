import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A view whose code loads on first use. Until it arrives the view says so; if the chunk
 * cannot be fetched (the hub was updated or is down) it says that, with a reload button.
 */
export function lazyView<P extends object>(
  load: () => Promise<FunctionComponent<P>>,
): FunctionComponent<P> {
  let loaded: FunctionComponent<P> | undefined;

  return function LazyView(props: P) {
    const [view, setView] = useState<{ C?: FunctionComponent<P>; failed?: boolean }>({
      C: loaded,
    });
    useEffect(() => {
      if (loaded) {
        return undefined;
      }
      let live = true;
      load().then(
        (C) => {
          loaded = C;
          if (live) {
            setView({ C });
          }
        },
        () => live && setView({ failed: true }),
      );

      return () => {
        live = false;
      };
    }, []);

    if (view.failed) {
      return (
        <p class="error" role="alert">
          This page could not be loaded.{' '}
          <button type="button" onClick={() => globalThis.location.reload()}>
            Reload
          </button>
        </p>
      );
    }
    const C = view.C;

    return C ? <C {...props} /> : <p role="status">Loading…</p>;
  };
}
