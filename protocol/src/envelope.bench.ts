/**
 * Sealing throughput: our envelope (@noble/ciphers XChaCha20-Poly1305 + header as AAD)
 * beside node:crypto's native ChaCha20-Poly1305 sealing the same bytes in the same run.
 */
import { createCipheriv, randomBytes } from 'node:crypto';

import { openEnvelope, sealEnvelope } from './envelope.js';

const key = randomBytes(32);
const header = { kind: 'obs' as const, keyId: 1, agentId: 'bench-agent', seq: 1n };

function nodeSeal(body: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.from('header-of-similar-size'), { plaintextLength: body.length });
  const out = Buffer.concat([cipher.update(body), cipher.final()]);

  return Buffer.concat([nonce, out, cipher.getAuthTag()]);
}

function rate(fn: () => void, ms = 1500): number {
  const until = performance.now() + ms;
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) {
      fn();
    }
    n += 50;
  }

  return (n * 1000) / ms;
}

for (const size of [256, 4096, 65536]) {
  const body = randomBytes(size);
  const frame = sealEnvelope(header, body, key);
  rate(() => sealEnvelope(header, body, key), 200);
  const ours = rate(() => sealEnvelope(header, body, key));
  const peer = rate(() => nodeSeal(body));
  const open = rate(() => openEnvelope(frame, { key: () => key }));
  const mbs = (ops: number) => ((ops * size) / 2 ** 20).toFixed(1);
  console.log(
    `seal ${String(size).padStart(5)} B: ours ${ours.toFixed(0)} ops/s (${mbs(ours)} MiB/s), ` +
      `node:crypto ${peer.toFixed(0)} ops/s (${mbs(peer)} MiB/s), ratio ${(ours / peer).toFixed(2)}; ` +
      `open ${open.toFixed(0)} ops/s`,
  );
}
