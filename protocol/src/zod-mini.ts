/**
 * `zod/mini` with English issue messages, for this package's schemas: `import * as z from
 * './zod-mini.js'`.
 *
 * zod/mini loads no locale, so its issues read a bare "Invalid input". The messages are part
 * of the contract (a refused reading names its reason in `Ack.rejected`), so they stay those
 * of classic zod. Importing only `en`, not `z.locales`, keeps the other locales out of the
 * agent's bundle. A locale the host process chose first wins, as it does with classic zod.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

if (config().localeError === undefined) {
  config(en());
}

export * from 'zod/mini';
