import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream, type OpenOptions } from '@serialport/stream';

type Binding = ReturnType<typeof autoDetect>;

// Serial ports come from serialport's own packages, the stream over the platform's binding:
// the `serialport` meta-package would also load ten parsers and a mock binding that neither
// an agent nor a simulator uses (edge-agent/src/agent-rss.bench.ts).
let binding: Binding | undefined;

/** Port settings without the binding, which {@link createPortStream} supplies. */
export type PortStreamOptions = Omit<OpenOptions<Binding>, 'binding'>;

/**
 * A serial port stream on this platform's binding (detected on first use), not opened unless
 * `autoOpen` says so.
 *
 * @example
 * ```ts
 * const port = createPortStream({ path: '/dev/ttyUSB0', baudRate: 19200, autoOpen: false });
 * ```
 */
export function createPortStream(options: PortStreamOptions): SerialPortStream<Binding> {
  binding ??= autoDetect();

  return new SerialPortStream({ ...options, binding });
}
