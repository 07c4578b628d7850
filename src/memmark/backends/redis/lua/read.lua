-- get_memory's read of a session without a TTL: what select.lua returns without ids, from
-- fewer arguments and without the session prelude (both cost more than the read itself on a
-- small session), and the session's index for RedisMemory to keep (see _index.py).
-- KEYS: meta, seq, payloads, mark-names, the sorted set to read (seq, or the mark's), and
-- optionally the excluded mark's sorted set. ARGV[1]: limit ("-1" = none); ARGV[2]: the most
-- ids an index holds; ARGV[3]: prefix of the per-mark index keys; ARGV[4]: the state stamp
-- at which the caller wants the index ("" = none).
-- Returns {summary, payloads values (oldest first), state stamp or false, index or false,
-- whole}. The index is false unless the session's stamp is ARGV[4]; then it is {seq's ids,
-- then each mark and the ids of its sorted set} and whole is 1, or, for a session of more
-- than ARGV[2] messages, {the newest ARGV[2] ids} and whole is 0.
local ids = select_ids(KEYS[5], KEYS[6], tonumber(ARGV[1]))
local found = {}
if #ids > 0 then
  found = hmget_all(KEYS[3], ids)
end
local summary = redis.call('HGET', KEYS[1], 'summary') or ''
local state = redis.call('HGET', KEYS[3], STATE_FIELD)
if not state or state ~= ARGV[4] then
  return {summary, found, state, false, 0}
end
local most = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[2]) > most then
  return {summary, found, state, {redis.call('ZRANGE', KEYS[2], -most, -1)}, 0}
end
local index = {redis.call('ZRANGE', KEYS[2], 0, -1)}
for _, mark in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  index[#index + 1] = mark
  index[#index + 1] = redis.call('ZRANGE', ARGV[3] .. mark, 0, -1)
end
return {summary, found, state, index, 1}
