import type { Context } from 'hono';
import type { Logger } from 'pino';

import type { Caller } from '../access/principal.js';

/** The Hono environment of every gateway route. */
export interface GatewayEnv {
  Variables: {
    requestId: string;
    /** The per-request child logger (carries `requestId`). */
    log: Logger;
    /** The authenticated caller, set by the bearer middleware. */
    caller: Caller;
    /** The client's network address. */
    clientAddress: string;
  };
}

/** A context of the gateway app. */
export type GatewayContext = Context<GatewayEnv>;
