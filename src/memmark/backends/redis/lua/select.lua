-- ARGV[6]: mark ("" = any); ARGV[7]: excluded mark ("" = none); ARGV[8]: limit ("-1" =
-- none); ARGV[9]: "1" to return each message's id and joined marks too.
-- Returns {summary, payloads}, or with ARGV[9] {summary, payloads, ids, joined marks};
-- oldest first. A payload holds its message's id, so get_memory needs no ids beside it.
local mark, exclude, limit = ARGV[6], ARGV[7], tonumber(ARGV[8])
local source = seq
if mark ~= '' then
  source = mark_key(mark)
end
local ids = {}
if exclude == '' then
  if limit < 0 then
    ids = redis.call('ZRANGE', source, 0, -1)
  elseif limit > 0 then
    ids = redis.call('ZRANGE', source, -limit, -1)
  end
else
  local excluded = mark_key(exclude)
  if limit < 0 then
    -- One ZRANGE of the excluded set and a table lookup per id cost less than one ZSCORE
    -- call per id, unless that set is the larger one.
    local candidates = redis.call('ZRANGE', source, 0, -1)
    if redis.call('ZCARD', excluded) <= #candidates then
      local skip = {}
      for _, id in ipairs(redis.call('ZRANGE', excluded, 0, -1)) do
        skip[id] = true
      end
      for _, id in ipairs(candidates) do
        if not skip[id] then
          ids[#ids + 1] = id
        end
      end
    else
      for _, id in ipairs(candidates) do
        if not redis.call('ZSCORE', excluded, id) then
          ids[#ids + 1] = id
        end
      end
    end
  elseif limit > 0 then
    local newest_first, offset = {}, 0
    while #newest_first < limit do
      local batch = redis.call('ZREVRANGE', source, offset, offset + CHUNK - 1)
      for _, id in ipairs(batch) do
        if #newest_first < limit and not redis.call('ZSCORE', excluded, id) then
          newest_first[#newest_first + 1] = id
        end
      end
      if #batch < CHUNK then
        break
      end
      offset = offset + CHUNK
    end
    for i = #newest_first, 1, -1 do
      ids[#ids + 1] = newest_first[i]
    end
  end
end
local found = {}
if #ids > 0 then
  found = hmget_all(payloads, ids)
end
local summary = redis.call('HGET', meta, 'summary') or ''
touch()
if ARGV[9] ~= '1' then
  return {summary, found}
end
local joined = {}
if #ids > 0 then
  joined = hmget_all(msg_marks, ids)
  for i = 1, #joined do
    joined[i] = joined[i] or ''
  end
end
return {summary, found, ids, joined}
