// esbuild plugins of the agent bundle (bin/bundle.js).
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';

// `new URL('../package.json', import.meta.url)` in a source names a file beside the source;
// once bundled, import.meta.url is the chunk's, so the path is re-pointed from there.
const SOURCE_URL = /new URL\((['"])(\.{1,2}\/[^'"]+)\1, import\.meta\.url\)/g;

/**
 * Re-points the `new URL(<relative path>, import.meta.url)` of workspace sources at the same
 * file from the bundle's folder, so src/version.ts still reads the package's package.json.
 *
 * @param {string} outdir the folder the chunks are written to
 * @returns {import('esbuild').Plugin}
 */
export function sourceRelativeUrls(outdir) {
  return {
    name: 'source-relative-urls',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.split(sep).includes('node_modules')) {
          return undefined;
        }

        const text = readFileSync(args.path, 'utf8');
        const contents = text.replace(SOURCE_URL, (_, quote, path) => {
          const fromBundle = relative(outdir, resolve(dirname(args.path), path));

          return `new URL(${quote}${fromBundle.split(sep).join('/')}${quote}, import.meta.url)`;
        });

        return { contents, loader: 'ts' };
      });
    },
  };
}

// MQTT.js builds its table of transports on the first connect and requires the WebSocket one
// (ws, and with it http, https, zlib) whatever the URL; tcp and tls require the SOCKS proxy
// client (socks, dns, ip-address) at load. Deferring both keeps an agent that speaks
// mqtt:// or mqtts:// without them (~8 MB resident); a ws:// device broker still loads ws.
const LAZY_MQTT = [
  {
    file: /mqtt[\\/]build[\\/]lib[\\/]connect[\\/]index\.js$/,
    from: /protocols\.(wss?) = require\('\.\/ws'\)\.streamBuilder;/g,
    to: "protocols.$1 = (...args) => require('./ws').streamBuilder(...args);",
    count: 2,
  },
  {
    file: /mqtt[\\/]build[\\/]lib[\\/]connect[\\/](tcp|tls)\.js$/,
    from: /const socks_1 = __importDefault\(require\("\.\/socks"\)\);/g,
    to: 'const socks_1 = { get default() { return __importDefault(require("./socks")).default; } };',
    count: 1,
  },
];

/**
 * Defers the MQTT.js transports the agent's own link never uses (see {@link LAZY_MQTT}). When
 * a new MQTT.js no longer matches, the file is bundled as it is, with a build warning.
 *
 * @returns {import('esbuild').Plugin}
 */
export function lazyMqttTransports() {
  return {
    name: 'lazy-mqtt-transports',
    setup(build) {
      build.onLoad({ filter: /mqtt[\\/]build[\\/]lib[\\/]connect[\\/]\w+\.js$/ }, (args) => {
        const patch = LAZY_MQTT.find((p) => p.file.test(args.path));
        if (patch === undefined) {
          return undefined;
        }

        const text = readFileSync(args.path, 'utf8');
        const found = text.match(patch.from)?.length ?? 0;
        if (found !== patch.count) {
          const warning = `${args.path}: expected ${patch.count} match(es), found ${found}; not deferred`;

          return { contents: text, loader: 'js', warnings: [{ text: warning }] };
        }

        return { contents: text.replace(patch.from, patch.to), loader: 'js' };
      });
    },
  };
}
