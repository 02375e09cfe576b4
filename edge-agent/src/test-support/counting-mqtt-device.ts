import { connectAsync } from 'mqtt';

// Test scaffolding: a live device that publishes a numbered reading (`{"n": 1}`, `{"n": 2}`, …)
// over MQTT and counts what it emitted. It never waits for anyone. At QoS 0 what it publishes
// while the agent is down is gone; at QoS 1 it also records which readings the broker
// acknowledged, the ones a gateway would consider delivered.

/** Options of {@link startCountingDevice}. */
export interface CountingDeviceOptions {
  url: string;
  topic: string;
  /** Readings published per tick. */
  perTick: number;
  /** Milliseconds between ticks. */
  tickMs: number;
  /** The QoS of each publish (default 0). */
  qos?: 0 | 1;
}

/** A running counting device. */
export interface CountingDevice {
  /** Readings emitted so far (the last `n` published). */
  readonly emitted: number;
  /** At QoS 1, the numbers whose PUBACK the device received. */
  readonly acked: ReadonlySet<number>;
  /** Stops publishing; resolves with the final count. */
  stop(): Promise<number>;
}

/** Starts publishing numbered readings until stopped. */
export async function startCountingDevice(options: CountingDeviceOptions): Promise<CountingDevice> {
  const client = await connectAsync(options.url, { reconnectPeriod: 0 });
  const qos = options.qos ?? 0;
  const acked = new Set<number>();
  let n = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < options.perTick; i++) {
      const mine = ++n;
      client.publish(options.topic, JSON.stringify({ n: mine }), { qos }, (error) => {
        if (qos === 1 && !error) {
          acked.add(mine);
        }
      });
    }
  }, options.tickMs);

  return {
    get emitted() {
      return n;
    },
    acked,
    async stop() {
      clearInterval(timer);
      if (client.connected) {
        await client.endAsync();
      }

      return n;
    },
  };
}
