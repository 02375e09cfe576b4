// Used by build-worker.sh: node --import tsx sfu/src/bin/verify-worker.ts <binary> <version>
import { verifyWorkerBinary } from '../worker-verify.js';

const [binPath, expectedVersion] = process.argv.slice(2);
if (!binPath || !expectedVersion) {
  console.error('usage: verify-worker.ts <binary> <mediasoup-version>');
  process.exit(2);
}

const result = await verifyWorkerBinary(binPath);
if (result.version !== expectedVersion) {
  console.error(`worker answered for mediasoup ${result.version}, expected ${expectedVersion}`);
  process.exit(1);
}
console.error(
  `[build-worker] verified: mediasoup ${result.version}, router codecs ` +
    `${result.routerCodecs.join(' ')}, transport with ${result.iceCandidates} ICE candidate(s)`,
);
