import { connectAsync } from 'mqtt';

// Test scaffolding: a live device that publishes a numbered reading (`{"n": 1}`, `{"n": 2}`, …)
// over MQTT and counts what it emitted. It never waits for anyone: what it publishes while
// the agent is down is gone, as with a real gateway on a clean session.

/** Options of {@link startCountingDevice}. */
export interface CountingDeviceOptions {
  url: string;
  topic: string;
  /** Readings published per tick. */
  perTick: number;
  /** Milliseconds between ticks. */
  tickMs: number;
}

/** A running counting device. */
export interface CountingDevice {
  /** Readings emitted so far (the last `n` published). */
  readonly emitted: number;
  /** Stops publishing; resolves with the final count. */
  stop(): Promise<number>;
}

/** Starts publishing numbered readings (QoS 0) until stopped. */
export async function startCountingDevice(options: CountingDeviceOptions): Promise<CountingDevice> {
  const client = await connectAsync(options.url, { reconnectPeriod: 0 });
  let n = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < options.perTick; i++) {
      client.publish(options.topic, JSON.stringify({ n: ++n }), { qos: 0 });
    }
  }, options.tickMs);

  return {
    get emitted() {
      return n;
    },
    async stop() {
      clearInterval(timer);
      if (client.connected) {
        await client.endAsync();
      }

      return n;
    },
  };
}
