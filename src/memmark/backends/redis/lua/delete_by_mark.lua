-- ARGV[6..]: marks; deletes every message carrying any of them.
local doomed = {}
for i = 6, #ARGV do
  for _, id in ipairs(redis.call('ZRANGE', mark_key(ARGV[i]), 0, -1)) do
    doomed[#doomed + 1] = id
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
