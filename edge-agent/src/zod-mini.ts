/**
 * `zod/mini` with English issue messages, for the agent's schemas: `import * as z from
 * '../zod-mini.js'`.
 *
 * zod/mini loads no locale, so its issues read a bare "Invalid input"; a config error must
 * say what is wrong (`Unrecognized key: "baud"`), as it did with classic zod. Importing only
 * `en`, not `z.locales`, keeps the other locales out of the bundle. A locale the host process
 * chose first wins, as it does with classic zod.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

if (config().localeError === undefined) {
  config(en());
}

export * from 'zod/mini';
