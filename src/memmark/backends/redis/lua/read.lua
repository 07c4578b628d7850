-- get_memory's read of a session without a TTL: what select.lua returns without ids, from
-- fewer arguments and without the session prelude (both cost more than the read itself on a
-- small session). KEYS: meta, the sorted set to read (seq, or the mark's), payloads, and
-- optionally the excluded mark's sorted set; ARGV[1]: limit ("-1" = none).
-- Returns {summary, payloads}, oldest first.
local ids = select_ids(KEYS[2], KEYS[4], tonumber(ARGV[1]))
local found = {}
if #ids > 0 then
  found = hmget_all(KEYS[3], ids)
end
return {redis.call('HGET', KEYS[1], 'summary') or '', found}
