-- Prelude of every memmark script (the script's own body follows it).
-- KEYS: meta, seq, payloads, msg-marks, mark-names of one session (one hash tag), then
-- optionally the store's user index and the user's session index (single node only).
-- ARGV[1]: prefix of the per-mark index keys; ARGV[2]: sliding TTL in ms ("0": none);
-- ARGV[3], ARGV[4]: user_id and session_id, for the indexes. The script's own from ARGV[5].
-- A message's marks are stored joined by NUL, which no mark contains.
local meta, seq, payloads, msg_marks, mark_names = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local mark_prefix = ARGV[1]
local ttl_ms = tonumber(ARGV[2])
local CHUNK = 1000

local function mark_key(mark)
  return mark_prefix .. mark
end

local function split(joined)
  local marks = {}
  if joined == false or joined == nil or joined == '' then
    return marks
  end
  local start = 1
  while true do
    local stop = string.find(joined, '\0', start, true)
    if not stop then
      marks[#marks + 1] = string.sub(joined, start)
      return marks
    end
    marks[#marks + 1] = string.sub(joined, start, stop - 1)
    start = stop + 1
  end
end

local function hmget_all(key, fields)
  local values = {}
  for first = 1, #fields, CHUNK do
    local last = math.min(first + CHUNK - 1, #fields)
    local part = redis.call('HMGET', key, unpack(fields, first, last))
    for i = 1, #part do
      values[#values + 1] = part[i]
    end
  end
  return values
end

-- Add the session to the store's indexes when they were passed (see RedisStore).
local function register()
  if KEYS[7] then
    redis.call('ZADD', KEYS[6], 0, ARGV[3])
    redis.call('ZADD', KEYS[7], 0, ARGV[4])
  end
end

-- Remove the session from the store's indexes when they were passed, and the user once the
-- user has no session left.
local function unregister()
  if KEYS[7] then
    redis.call('ZREM', KEYS[7], ARGV[4])
    if redis.call('ZCARD', KEYS[7]) == 0 then
      redis.call('ZREM', KEYS[6], ARGV[3])
    end
  end
end

local function touch()
  if ttl_ms > 0 then
    for _, key in ipairs({meta, seq, payloads, msg_marks, mark_names}) do
      redis.call('PEXPIRE', key, ttl_ms)
    end
    for _, mark in ipairs(redis.call('SMEMBERS', mark_names)) do
      redis.call('PEXPIRE', mark_key(mark), ttl_ms)
    end
  end
end

-- Record the last-update time (ms since the epoch): ``at_ms`` if given, else now.
local function stamp(at_ms)
  if at_ms then
    redis.call('HSET', meta, 'updated_at', at_ms)
    return
  end
  local now = redis.call('TIME')
  redis.call('HSET', meta, 'updated_at', now[1] * 1000 + math.floor(now[2] / 1000))
end

-- Store the messages given as (id, payload, joined marks) triples from ARGV[first];
-- skip ids already stored. Returns how many were stored.
local function insert(first, count)
  local next_seq = tonumber(redis.call('HGET', meta, 'next_seq') or '0')
  local stored = 0
  for i = 0, count - 1 do
    local id = ARGV[first + 3 * i]
    if redis.call('HSETNX', payloads, id, ARGV[first + 3 * i + 1]) == 1 then
      local joined = ARGV[first + 3 * i + 2]
      redis.call('ZADD', seq, next_seq, id)
      if joined ~= '' then
        redis.call('HSET', msg_marks, id, joined)
        for _, mark in ipairs(split(joined)) do
          redis.call('ZADD', mark_key(mark), next_seq, id)
          redis.call('SADD', mark_names, mark)
        end
      end
      next_seq = next_seq + 1
      stored = stored + 1
    end
  end
  if stored > 0 then
    redis.call('HSET', meta, 'next_seq', next_seq)
    stamp()
  end
  return stored
end

-- Delete one message with its marks; returns 1 if it existed.
local function remove(id)
  if redis.call('HDEL', payloads, id) == 0 then
    return 0
  end
  redis.call('ZREM', seq, id)
  local joined = redis.call('HGET', msg_marks, id)
  if joined then
    redis.call('HDEL', msg_marks, id)
    for _, mark in ipairs(split(joined)) do
      local key = mark_key(mark)
      redis.call('ZREM', key, id)
      if redis.call('EXISTS', key) == 0 then
        redis.call('SREM', mark_names, mark)
      end
    end
  end
  return 1
end

-- Delete every key of the session; returns whether it held a message or a summary.
local function wipe()
  local held = redis.call('ZCARD', seq) > 0 or redis.call('HEXISTS', meta, 'summary') == 1
  local keys = {meta, seq, payloads, msg_marks, mark_names}
  for _, mark in ipairs(redis.call('SMEMBERS', mark_names)) do
    keys[#keys + 1] = mark_key(mark)
  end
  for first = 1, #keys, CHUNK do
    redis.call('DEL', unpack(keys, first, math.min(first + CHUNK - 1, #keys)))
  end
  return held
end

