import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const visitPage = fileURLToPath(new URL('visit.html', import.meta.url));

// NOTE: visit.html (the video visit) is a second page with its own entry, so the app shell
// never loads the video code and the visit page never loads the consoles.
const input: Record<string, string> = {
  main: fileURLToPath(new URL('index.html', import.meta.url)),
};
if (existsSync(visitPage)) {
  input.visit = visitPage;
}

/** Where the gateway runs during `npm run dev -w @sparkden/web-client`. */
const devHub = process.env.SPARKDEN_DEV_HUB ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: { input },
  },
  server: {
    proxy: {
      '/api': devHub,
      '/auth': devHub,
      '/oauth2': devHub,
      '/fhir': devHub,
      '/socket.io': { target: devHub, ws: true },
    },
  },
});
