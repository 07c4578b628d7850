-- Start of every memmark script: helpers that need neither KEYS nor ARGV.
local CHUNK = 1000
-- The payloads field holding the session's state stamp (see stamp() in _common.lua); no
-- message id contains NUL, so no message's field is this one.
local STATE_FIELD = '\0'

local function hmget_all(key, fields)
  if #fields <= CHUNK then  -- one call's reply as it is: copying it costs per field
    return redis.call('HMGET', key, unpack(fields))
  end
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

-- The ids of the sorted set ``source`` (ordered by sequence) that ``excluded`` (a sorted set,
-- or nil) lacks; only the last ``limit`` of them unless ``limit`` < 0; oldest first.
local function select_ids(source, excluded, limit)
  local ids = {}
  if not excluded then
    if limit < 0 then
      ids = redis.call('ZRANGE', source, 0, -1)
    elseif limit > 0 then
      ids = redis.call('ZRANGE', source, -limit, -1)
    end
  else
    if limit < 0 then
      ids = redis.call('ZDIFF', 2, source, excluded)  -- in score order: the sequence's
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
  return ids
end

