/**
 * The simulcast layer worth receiving for a video drawn `width` CSS pixels wide. The sender's
 * three layers (visit-client.ts) are a quarter, half and full size of a camera of about
 * 1280 px: a tile up to 320 px wide needs layer 0, up to 640 px layer 1, wider the full layer.
 * A hidden tile (width 0) takes the smallest.
 *
 * @example
 * layerForWidth(300); // 0
 */
export function layerForWidth(width: number): 0 | 1 | 2 {
  if (!(width > 320)) {
    return 0;
  }

  return width > 640 ? 2 : 1;
}
