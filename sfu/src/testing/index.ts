// Test support for packages that run SFU nodes in their integration tests:
// `import { joinVisitPeer } from '@sparkden/sfu/testing'`.
export {
  joinVisitPeer,
  produceAudioVideo,
  consumeAll,
  SignalingRefusal,
  type SignalingPeer,
} from './signaling-peer.js';
