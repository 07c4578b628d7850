-- Prelude of every memmark script but read.lua (after _base.lua; the script's own body follows).
-- KEYS: meta, seq, payloads, msg-marks, mark-names, stored-at of one session (one hash tag),
-- then optionally the store's user index and the user's session index (single node only).
-- msg-marks and stored-at are the hashes an earlier memmark kept beside payloads: the prelude
-- folds them into it (see fold_legacy), so no script body reads them.
-- ARGV[1]: prefix of the per-mark index keys; ARGV[2]: sliding TTL in ms ("0": none);
-- ARGV[3], ARGV[4]: user_id and session_id, for the indexes; ARGV[5]: the version the
-- caller expects ("-1": any). The script's own from ARGV[6].
-- meta's version field counts the writes that changed the session (stamp() increases it).
--
-- A payloads value is the message's JSON payload, NUL, its stored-at time (ms since the
-- epoch; "" when unknown), then, if it has marks, NUL and its marks joined by NUL. JSON
-- escapes NUL and no mark contains one, so the first NUL ends the payload. A value an earlier
-- memmark stored is the payload alone: no time, no marks.
local meta, seq, payloads, mark_names = KEYS[1], KEYS[2], KEYS[3], KEYS[5]
local function data_keys()  -- the fixed keys the session's data lives in (SessionKeys.data_keys)
  return {meta, seq, payloads, mark_names}
end
local mark_prefix = ARGV[1]
local ttl_ms = tonumber(ARGV[2])

local function pack_value(payload, at, joined)
  if joined == '' then
    return payload .. '\0' .. at
  end
  return payload .. '\0' .. at .. '\0' .. joined
end

-- A payloads value's payload, stored-at time ("" when unknown) and joined marks ("": none).
local function unpack_value(value)
  local payload_end = string.find(value, '\0', 1, true)
  if not payload_end then
    return value, '', ''
  end
  local marks_start = string.find(value, '\0', payload_end + 1, true)
  if not marks_start then
    return string.sub(value, 1, payload_end - 1), string.sub(value, payload_end + 1), ''
  end
  return string.sub(value, 1, payload_end - 1), string.sub(value, payload_end + 1, marks_start - 1),
    string.sub(value, marks_start + 1)
end

-- Fold a session's legacy msg-marks and stored-at hashes into its payloads values (those
-- that are a payload alone: an earlier memmark's), then delete them; a session without them
-- is left as it is.
local function fold_legacy(seq_key, payloads_key, marks_key, stored_at_key)
  if redis.call('EXISTS', marks_key, stored_at_key) == 0 then
    return
  end
  for _, id in ipairs(redis.call('ZRANGE', seq_key, 0, -1)) do
    local payload = redis.call('HGET', payloads_key, id)
    if payload and not string.find(payload, '\0', 1, true) then
      local at = redis.call('HGET', stored_at_key, id) or ''
      local joined = redis.call('HGET', marks_key, id) or ''
      redis.call('HSET', payloads_key, id, pack_value(payload, at, joined))
    end
  end
  redis.call('DEL', marks_key, stored_at_key)
end

local function current_version()
  return tonumber(redis.call('HGET', meta, 'version') or '0')
end

-- A write expecting another version changes nothing: the client raises ConflictError.
local expected_version = tonumber(ARGV[5])
if expected_version >= 0 and current_version() ~= expected_version then
  return redis.error_reply('MEMMARK_CONFLICT ' .. current_version())
end
fold_legacy(seq, payloads, KEYS[4], KEYS[6])

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

-- Add the session to the store's indexes when they were passed (see RedisStore).
local function register()
  if KEYS[8] then
    redis.call('ZADD', KEYS[7], 0, ARGV[3])
    redis.call('ZADD', KEYS[8], 0, ARGV[4])
  end
end

-- Remove the session from the store's indexes when they were passed, and the user once the
-- user has no session left.
local function unregister()
  if KEYS[8] then
    redis.call('ZREM', KEYS[8], ARGV[4])
    if redis.call('ZCARD', KEYS[8]) == 0 then
      redis.call('ZREM', KEYS[7], ARGV[3])
    end
  end
end

local function touch()
  if ttl_ms > 0 then
    for _, key in ipairs(data_keys()) do
      redis.call('PEXPIRE', key, ttl_ms)
    end
    for _, mark in ipairs(redis.call('SMEMBERS', mark_names)) do
      redis.call('PEXPIRE', mark_key(mark), ttl_ms)
    end
  end
end

-- A TIME reply ({seconds, microseconds}) in ms since the epoch.
local function ms_of(time)
  return time[1] * 1000 + math.floor(time[2] / 1000)
end

-- The server's clock, in ms since the epoch.
local function now_ms()
  return ms_of(redis.call('TIME'))
end

-- Record a change: its time (``at_ms``, ms since the epoch, if given, else now), one more
-- version and, while the session holds messages, a new state stamp in payloads' STATE_FIELD:
-- the version and the server's clock in microseconds, so no two states of a session share a
-- stamp, even across a deletion that forgets the version. A RedisMemory that knows the
-- session's ids and marks reads the stamp with the messages in one HMGET and trusts what it
-- knows only while the stamp is the one it saw (see _index.py).
local function stamp(at_ms)
  local version = redis.call('HINCRBY', meta, 'version', 1)
  local now = redis.call('TIME')
  redis.call('HSET', meta, 'updated_at', at_ms or ms_of(now))
  if redis.call('ZCARD', seq) > 0 then
    redis.call('HSET', payloads, STATE_FIELD, version .. ':' .. now[1] .. ':' .. now[2])
  else
    redis.call('HDEL', payloads, STATE_FIELD)
  end
end

-- Store the messages given as (id, payload, joined marks) triples from ARGV[first];
-- skip ids already stored. Returns how many were stored.
local function insert(first, count)
  local next_seq = tonumber(redis.call('HGET', meta, 'next_seq') or '0')
  local now = now_ms()
  local stored = 0
  for i = 0, count - 1 do
    local id, joined = ARGV[first + 3 * i], ARGV[first + 3 * i + 2]
    if redis.call('HSETNX', payloads, id, pack_value(ARGV[first + 3 * i + 1], now, joined)) == 1 then
      redis.call('ZADD', seq, next_seq, id)
      if joined ~= '' then
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
  local value = redis.call('HGET', payloads, id)
  if not value then
    return 0
  end
  redis.call('HDEL', payloads, id)
  redis.call('ZREM', seq, id)
  local _, _, joined = unpack_value(value)
  for _, mark in ipairs(split(joined)) do
    local key = mark_key(mark)
    redis.call('ZREM', key, id)
    if redis.call('EXISTS', key) == 0 then
      redis.call('SREM', mark_names, mark)
    end
  end
  return 1
end

-- Delete every key of the session but its version (unless forget_version); returns
-- whether it held a message or a summary. A held session's wipe is a change (stamped).
local function wipe(forget_version)
  local held = redis.call('ZCARD', seq) > 0 or redis.call('HEXISTS', meta, 'summary') == 1
  local version = redis.call('HGET', meta, 'version')
  local keys = data_keys()
  for _, mark in ipairs(redis.call('SMEMBERS', mark_names)) do
    keys[#keys + 1] = mark_key(mark)
  end
  for first = 1, #keys, CHUNK do
    redis.call('DEL', unpack(keys, first, math.min(first + CHUNK - 1, #keys)))
  end
  if version and not forget_version then
    redis.call('HSET', meta, 'version', version)
  end
  if held and not forget_version then
    stamp()
  end
  return held
end

-- The stored ones of the ids ARGV[first..], as {id, score} pairs.
local function scored_ids(first)
  local scope = {}
  for i = first, #ARGV do
    local score = redis.call('ZSCORE', seq, ARGV[i])
    if score then
      scope[#scope + 1] = {ARGV[i], score}
    end
  end
  return scope
end

-- Update the marks of scope ({id, score} pairs) as update_messages_mark says: new_mark
-- ("" = none) replaces old_mark ("" = any) or is added. Returns how many messages changed.
local function relabel_scope(new_mark, old_mark, scope)
  local changed = 0
  for _, entry in ipairs(scope) do
    local id, score = entry[1], entry[2]
    local payload, at, joined = unpack_value(redis.call('HGET', payloads, id))
    local marks = split(joined)
    local kept, has_old, has_new = {}, false, false
    for _, mark in ipairs(marks) do
      if mark == old_mark then
        has_old = true
      else
        kept[#kept + 1] = mark
        if mark == new_mark then
          has_new = true
        end
      end
    end
    local gains = new_mark ~= '' and not has_new
    if (old_mark ~= '' and has_old) or (old_mark == '' and gains) then
      if has_old then
        redis.call('ZREM', mark_key(old_mark), id)
      end
      if gains then
        kept[#kept + 1] = new_mark
        redis.call('ZADD', mark_key(new_mark), score, id)
      end
      redis.call('HSET', payloads, id, pack_value(payload, at, table.concat(kept, '\0')))
      changed = changed + 1
    end
  end
  if changed > 0 then
    if new_mark ~= '' then
      redis.call('SADD', mark_names, new_mark)
    end
    if old_mark ~= '' and redis.call('EXISTS', mark_key(old_mark)) == 0 then
      redis.call('SREM', mark_names, old_mark)
    end
  end
  return changed
end
