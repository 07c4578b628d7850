-- ARGV[3]: number of messages; ARGV[4..]: (id, payload, joined marks) per message.
local stored = insert(4, tonumber(ARGV[3]))
touch()
return stored
