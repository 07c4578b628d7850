-- ARGV[6]: number of messages; ARGV[7..]: (id, payload, joined marks) per message.
-- Returns {how many were stored, the state stamp before, the state stamp after} (a stamp is
-- nil while the session holds no message).
register()
local before = redis.call('HGET', payloads, STATE_FIELD)
local stored = insert(7, tonumber(ARGV[6]))
touch()
return {stored, before, redis.call('HGET', payloads, STATE_FIELD)}
