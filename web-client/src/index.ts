/**
 * The web client as the gateway sees it: where the built files are, and how to build them.
 * The browser code itself lives in `src/app` (and the video visit in `src/visit`) and is
 * bundled by Vite; nothing here runs in the browser.
 */
export {
  WEB_CLIENT_DIST,
  WEB_CLIENT_ROOT,
  buildWebClient,
  ensureWebClientBuilt,
  isWebClientStale,
} from './build.js';
