-- ARGV[5]: number of messages; ARGV[6..]: (id, payload, joined marks) per message.
register()
local stored = insert(6, tonumber(ARGV[5]))
touch()
return stored
