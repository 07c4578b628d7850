-- ARGV[6]: "-1", or an age in ms; ARGV[7..]: marks. Deletes every message carrying any of
-- them, only those stored at least that long ago by the server's clock when an age is given.
-- A message without a stored-at time (stored by an earlier memmark) gets now as its own.
local now, latest = now_ms(), nil
if ARGV[6] ~= '-1' then
  latest = now - tonumber(ARGV[6])
end
local doomed = {}
for i = 7, #ARGV do
  for _, id in ipairs(redis.call('ZRANGE', mark_key(ARGV[i]), 0, -1)) do
    if latest == nil then
      doomed[#doomed + 1] = id
    else
      local payload, at, joined = unpack_value(redis.call('HGET', payloads, id))
      if at == '' then
        redis.call('HSET', payloads, id, pack_value(payload, now, joined))
      elseif tonumber(at) <= latest then
        doomed[#doomed + 1] = id
      end
    end
  end
end
local deleted = 0
for _, id in ipairs(doomed) do
  deleted = deleted + remove(id)
end
if deleted > 0 then
  stamp()
end
touch()
return deleted
