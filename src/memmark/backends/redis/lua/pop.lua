-- Removes the newest message; returns {id, payloads value}, or false when empty.
local newest = redis.call('ZRANGE', seq, -1, -1)
if #newest == 0 then
  touch()
  return false
end
local id = newest[1]
local value = redis.call('HGET', payloads, id)
remove(id)
stamp()
touch()
return {id, value}
