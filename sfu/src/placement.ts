import type { Redis } from 'ioredis';

/** One SFU node as registered in Redis. */
export interface SfuNodeInfo {
  nodeId: string;
  /** Where clients reach this node's socket.io server (e.g. `https://sfu-2.example:443`). */
  url: string;
  /** Producers + consumers currently carried. */
  load: number;
  /** Producers + consumers the node carries at its CPU budget (workers × per-worker budget). */
  capacity: number;
}

export interface NodeRegistryOptions {
  redis: Redis;
  /** Key prefix, default `sd:sfu:`; tests use a unique one. */
  prefix?: string;
  /** A node not heard from for this long is out of placement. Default 15 s. */
  ttlSeconds?: number;
}

const DEFAULT_PREFIX = 'sd:sfu:';

// [Redis EVAL] Atomic placement: keep an existing live assignment, else pick the live node with
// the lowest load/capacity ratio, record the assignment, and charge the node one seat so
// placements racing before the next heartbeat still spread.
// KEYS[1] = nodes zset, KEYS[2] = visit key; ARGV[1] = prefix, ARGV[2] = visit ttl seconds
const PLACE_SCRIPT = `
local current = redis.call('GET', KEYS[2])
if current and redis.call('EXISTS', ARGV[1] .. 'node:' .. current) == 1 then
  return current
end
local nodes = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(nodes) do
  local key = ARGV[1] .. 'node:' .. id
  if redis.call('EXISTS', key) == 1 then
    local cap = tonumber(redis.call('HGET', key, 'capacity')) or 1
    if cap < 1 then cap = 1 end
    redis.call('SET', KEYS[2], id, 'EX', tonumber(ARGV[2]))
    redis.call('ZINCRBY', KEYS[1], 1 / cap, id)
    redis.call('HINCRBY', key, 'load', 1)
    return id
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return false
`;

/**
 * Publishes this node's load to Redis (heartbeat with expiry) so placement can see it.
 *
 * @example
 * const reg = new NodeRegistry({ redis });
 * await reg.publish({ nodeId: 'sfu-1', url: 'https://sfu-1:4443', load: 12, capacity: 800 });
 */
export class NodeRegistry {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttl: number;

  constructor(options: NodeRegistryOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#ttl = options.ttlSeconds ?? 15;
  }

  async publish(node: SfuNodeInfo): Promise<void> {
    if (!(node.capacity > 0)) {
      throw new TypeError('"capacity" must be > 0');
    }

    const key = `${this.#prefix}node:${node.nodeId}`;
    await this.#redis
      .multi()
      .hset(key, {
        url: node.url,
        load: String(node.load),
        capacity: String(node.capacity),
        updatedAt: new Date().toISOString(),
      })
      .expire(key, this.#ttl)
      .zadd(`${this.#prefix}nodes`, node.load / node.capacity, node.nodeId)
      .exec();
  }

  async remove(nodeId: string): Promise<void> {
    await this.#redis
      .multi()
      .del(`${this.#prefix}node:${nodeId}`)
      .zrem(`${this.#prefix}nodes`, nodeId)
      .exec();
  }

  /** Live nodes, least loaded (by load/capacity) first. */
  async list(): Promise<SfuNodeInfo[]> {
    const ids = await this.#redis.zrange(`${this.#prefix}nodes`, 0, -1);
    const nodes: SfuNodeInfo[] = [];
    for (const nodeId of ids) {
      const h = await this.#redis.hgetall(`${this.#prefix}node:${nodeId}`);
      if (h.url) {
        nodes.push({ nodeId, url: h.url, load: Number(h.load), capacity: Number(h.capacity) });
      }
    }

    return nodes;
  }
}

export interface VisitPlacement {
  nodeId: string;
  url: string;
}

/**
 * Picks the SFU node for a visit: the node it already lives on while that node is alive, else
 * the least-loaded live node. Every participant of one Appointment gets the same node. Returns
 * `null` when no node is registered.
 *
 * @example
 * const where = await placeVisit(redis, 'apt-1');
 * // { nodeId: 'sfu-2', url: 'https://sfu-2:4443' }
 */
export async function placeVisit(
  redis: Redis,
  appointmentId: string,
  options: { prefix?: string; visitTtlSeconds?: number } = {},
): Promise<VisitPlacement | null> {
  if (!appointmentId) {
    throw new TypeError('"appointmentId" is required');
  }

  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const nodeId = (await redis.eval(
    PLACE_SCRIPT,
    2,
    `${prefix}nodes`,
    `${prefix}visit:${appointmentId}`,
    prefix,
    String(options.visitTtlSeconds ?? 4 * 3600),
  )) as string | null;
  if (!nodeId) {
    return null;
  }
  const url = await redis.hget(`${prefix}node:${nodeId}`, 'url');

  return url ? { nodeId, url } : null;
}
