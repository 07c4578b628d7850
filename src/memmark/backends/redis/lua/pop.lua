-- Removes the newest message; returns {id, payload, joined marks}, or false when empty.
local newest = redis.call('ZRANGE', seq, -1, -1)
if #newest == 0 then
  touch()
  return false
end
local id = newest[1]
local payload = redis.call('HGET', payloads, id)
local joined = redis.call('HGET', msg_marks, id) or ''
remove(id)
stamp()
touch()
return {id, payload, joined}
