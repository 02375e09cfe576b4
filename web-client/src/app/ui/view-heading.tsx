import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A view's `h1`. It takes focus when the view opens, so keyboard and screen-reader users
 * land at the top of the new content, and it sets the document title.
 */
export function ViewHeading({ title, children }: { title: string; children?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Spark Den`;
    ref.current?.focus();
  }, [title]);

  return (
    <h1 ref={ref} tabIndex={-1}>
      {children ?? title}
    </h1>
  );
}
