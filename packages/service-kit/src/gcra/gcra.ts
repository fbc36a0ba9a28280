import type { RateLimitDecision } from "./store.js";

/** Slack for floating-point rounding when `windowMs / limit` is not an integer. */
const EPSILON_MS = 0.001;

/**
 * How long a key outlives the moment its quota is whole again. A key whose backlog has drained
 * decides exactly like a missing one, so the grace changes no decision; it only keeps expiry from
 * racing a burst of decisions on a busy machine.
 */
export const KEY_GRACE_MS = 1_000;

/**
 * What a store keeps per caller: the instant of the last admitted request and the backlog it left,
 * i.e. how far the "theoretical arrival time" (TAT) was ahead of that instant. Kept relative rather
 * than as an absolute TAT so that an emission interval far below a millisecond (a limit of 1e9 per
 * minute) still counts: added to an epoch in milliseconds it would vanish in float rounding.
 */
export interface GcraState {
  /** Epoch milliseconds of the last admitted request. */
  readonly at: number;
  /** TAT − `at`, in milliseconds (0 < backlog ≤ window). */
  readonly backlogMs: number;
}

/**
 * The generic cell rate algorithm (GCRA) step, the same arithmetic, operation for operation, as the
 * Redis Lua script (`GCRA_BATCH_LUA`): each request pushes the TAT forward by `windowMs / limit`; a request
 * is allowed when the TAT it would create is at most `windowMs` ahead of now. That allows a burst of
 * `limit` and then a steady `limit` per window, with no boundary bursts. A clock that steps back
 * grows the backlog by the step (the quota is not refilled twice).
 *
 * Returns the decision and the state to store (`undefined` when denied: nothing changes).
 */
export function gcraStep(
  stored: GcraState | undefined,
  now: number,
  limit: number,
  windowMs: number,
): { decision: RateLimitDecision; state: GcraState | undefined } {
  const interval = windowMs / limit;
  let pending = stored === undefined ? 0 : stored.backlogMs - (now - stored.at);
  if (pending < 0) pending = 0;
  const next = pending + interval;
  const allowAt = next - windowMs;
  if (allowAt > EPSILON_MS) {
    return {
      decision: { allowed: false, remaining: 0, resetMs: Math.ceil(pending), retryAfterMs: Math.ceil(allowAt) },
      state: undefined,
    };
  }
  let remaining = Math.floor((windowMs - next) / interval + EPSILON_MS);
  if (remaining < 0) remaining = 0;
  return {
    decision: { allowed: true, remaining, resetMs: Math.ceil(next), retryAfterMs: 0 },
    state: { at: now, backlogMs: next },
  };
}

/**
 * {@link gcraStep} as a Redis Lua script, for a batch of decisions (one per key, in order): for each key, read the
 * state, decide, write the new state with a TTL, all atomically, in one round trip for the whole batch. A key named
 * twice is decided twice, the second time against the first's state. Time comes from Redis `TIME`, read once per
 * batch (so every gateway process sharing a key agrees on "now" whatever its own clock says), unless the decision's
 * third argument gives it. The state is the string `"<at> <backlog>"`, each number at full double precision (`%.17g`
 * reads back to the same double), so both stores compute bit for bit the same. A value in another form counts as
 * absent.
 *
 * `KEYS[i]` is decided with `ARGV[3i-2]` (limit), `ARGV[3i-1]` (window, ms) and `ARGV[3i]` (now, epoch ms, or empty).
 * Replies `allowed, remaining, resetMs, retryAfterMs` per key, as integers, in one flat array.
 */
export const GCRA_BATCH_LUA = `
local replies = {}
local clock
for i = 1, #KEYS do
  local limit = tonumber(ARGV[3 * i - 2])
  local window = tonumber(ARGV[3 * i - 1])
  local now = tonumber(ARGV[3 * i])
  if now == nil then
    if clock == nil then
      local t = redis.call('TIME')
      clock = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
    end
    now = clock
  end
  local interval = window / limit
  local pending = 0
  local stored = redis.call('GET', KEYS[i])
  if stored then
    local at, backlog = string.match(stored, '^(%S+) (%S+)$')
    if at and tonumber(at) and tonumber(backlog) then pending = tonumber(backlog) - (now - tonumber(at)) end
  end
  if pending < 0 then pending = 0 end
  local nextBacklog = pending + interval
  local allowAt = nextBacklog - window
  local n = #replies
  if allowAt > ${String(EPSILON_MS)} then
    replies[n + 1] = 0
    replies[n + 2] = 0
    replies[n + 3] = math.ceil(pending)
    replies[n + 4] = math.ceil(allowAt)
  else
    local remaining = math.floor((window - nextBacklog) / interval + ${String(EPSILON_MS)})
    if remaining < 0 then remaining = 0 end
    local resetMs = math.ceil(nextBacklog)
    redis.call('SET', KEYS[i], string.format('%.17g %.17g', now, nextBacklog), 'PX', resetMs + ${String(KEY_GRACE_MS)})
    replies[n + 1] = 1
    replies[n + 2] = remaining
    replies[n + 3] = resetMs
    replies[n + 4] = 0
  end
end
return replies
`;
