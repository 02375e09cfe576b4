import type { Database, VitalsStore } from '@sparkden/alerting';

import type { Gateway } from '../gateway.js';

/** What {@link mountBilling} needs from the hub. */
export interface MountBillingOptions {
  gateway: Gateway;
  db: Database;
  store: VitalsStore;
}

/** Mounts the billing API at `/api/billing`, its device days read from the vitals store. */
export async function mountBilling(_options: MountBillingOptions): Promise<void> {
  // Wired once the billing module's service dependencies settle.
  return Promise.resolve();
}
