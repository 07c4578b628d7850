-- fork's copy in one script, on a single node: KEYS are this (the target) session's, the
-- indexes, then KEYS[9..14]: meta, seq, payloads, msg-marks, mark-names, stored-at of the
-- session copied (its legacy hashes folded first, as the prelude folds this session's).
-- ARGV[6]: that session's per-mark key prefix; ARGV[7]: the id of the last message to copy
-- ("": all). Copies its summary and messages, in order with their marks, as fill stores a
-- snapshot (each copy counts as stored now): returns 1, 0 if this session holds a message or
-- a summary (nothing written), -1 if ARGV[7] is not a message of the session copied.
local from_meta, from_seq, from_payloads = KEYS[9], KEYS[10], KEYS[11]
local from_names = KEYS[13]
fold_legacy(from_seq, from_payloads, KEYS[12], KEYS[14])
local from_mark_prefix, upto = ARGV[6], ARGV[7]

-- The session copied is read, so its sliding TTL restarts, as a select's does.
local function touch_source()
  if ttl_ms > 0 then
    for _, key in ipairs({from_meta, from_seq, from_payloads, from_names}) do
      redis.call('PEXPIRE', key, ttl_ms)
    end
    for _, mark in ipairs(redis.call('SMEMBERS', from_names)) do
      redis.call('PEXPIRE', from_mark_prefix .. mark, ttl_ms)
    end
  end
end

local last = -1
if upto ~= '' then
  last = redis.call('ZRANK', from_seq, upto)
  if not last then
    touch_source()
    return -1
  end
end
touch_source()
if redis.call('ZCARD', seq) > 0 or redis.call('HEXISTS', meta, 'summary') == 1 then
  touch()
  return 0
end
local ids = redis.call('ZRANGE', from_seq, 0, last)
local summary = redis.call('HGET', from_meta, 'summary') or ''
if summary ~= '' or #ids > 0 then
  register()
end
if #ids > 0 then
  local found = hmget_all(from_payloads, ids)
  local next_seq = tonumber(redis.call('HGET', meta, 'next_seq') or '0')
  local now = now_ms()
  for i, id in ipairs(ids) do
    local payload, _, joined = unpack_value(found[i])
    redis.call('HSET', payloads, id, pack_value(payload, now, joined))
    redis.call('ZADD', seq, next_seq, id)
    for _, mark in ipairs(split(joined)) do
      redis.call('ZADD', mark_key(mark), next_seq, id)
      redis.call('SADD', mark_names, mark)
    end
    next_seq = next_seq + 1
  end
  redis.call('HSET', meta, 'next_seq', next_seq)
  stamp()
end
if summary ~= '' then
  redis.call('HSET', meta, 'summary', summary)
end
stamp()
touch()
return 1
