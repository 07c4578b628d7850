-- ARGV[6]: "1" when the store deletes the session: forget its version and, with the indexes
-- passed (single node), take it out of them (and its user, with its last session).
-- RedisMemory.clear() ("0") keeps the version, so a version number is never reused, and the
-- index entries, so forget-user still reaches it; listings skip sessions that hold nothing.
-- Returns 1 if the session held a message or a summary.
local forget = ARGV[6] == '1'
local held = wipe(forget)
if forget then
  unregister()
else
  touch()
end
if held then
  return 1
end
return 0
