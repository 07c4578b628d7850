-- ARGV[6]: number of messages; ARGV[7..]: (id, payload, joined marks) per message.
register()
local stored = insert(7, tonumber(ARGV[6]))
touch()
return stored
