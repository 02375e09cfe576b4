import type { types as msc } from 'mediasoup-client';

/** What a participant received, summed over its inbound RTP streams [WebRTC Stats]. */
export interface InboundTotals {
  videoFramesDecoded: number;
  audioPacketsReceived: number;
  audioBytesReceived: number;
}

/**
 * Inbound RTP totals of a receive transport (all zero without one): for the call-quality badge
 * and the end-to-end test.
 *
 * @example
 * const { videoFramesDecoded } = await inboundTotals(recvTransport);
 */
export async function inboundTotals(transport: msc.Transport | undefined): Promise<InboundTotals> {
  const totals = { videoFramesDecoded: 0, audioPacketsReceived: 0, audioBytesReceived: 0 };
  if (!transport) {
    return totals;
  }

  const report = await transport.getStats();
  report.forEach((s: Record<string, unknown>) => {
    if (s.type !== 'inbound-rtp') {
      return;
    }
    if (s.kind === 'video') {
      totals.videoFramesDecoded += Number(s.framesDecoded ?? 0);
    } else if (s.kind === 'audio') {
      totals.audioPacketsReceived += Number(s.packetsReceived ?? 0);
      totals.audioBytesReceived += Number(s.bytesReceived ?? 0);
    }
  });

  return totals;
}
