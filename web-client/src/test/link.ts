import type { Page, WebSocketRoute } from 'playwright-core';

/**
 * A switchable link between a page and the hub's socket.io endpoint: every WebSocket is
 * passed through to the real hub while `up`; `cut()` drops the live one and refuses new
 * ones, as a Wi-Fi dead spot would, until `restore()`.
 */
export interface Link {
  up: boolean;
  current?: WebSocketRoute;
  cut(): Promise<void>;
  restore(): void;
}

/** Routes the page's socket.io WebSockets through a {@link Link}; call before sign-in. */
export async function routeThroughLink(page: Page): Promise<Link> {
  const link: Link = {
    up: true,
    async cut() {
      link.up = false;
      await link.current
        ?.close({ code: 1006, reason: 'test: network lost' })
        .catch(() => undefined);
    },
    restore() {
      link.up = true;
    },
  };
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (!link.up) {
      void ws.close({ code: 1006, reason: 'test: network lost' });
      return;
    }
    link.current = ws;
    ws.connectToServer();
  });

  return link;
}
