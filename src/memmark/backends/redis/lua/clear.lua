-- ARGV[6]: "1" to forget the version too (the store deleting the session).
-- Returns 1 if the session held a message or a summary. With the indexes passed (single
-- node), the emptied session also leaves them, and its user too when it was the last session.
local held = wipe(ARGV[6] == '1')
unregister()
touch()
if held then
  return 1
end
return 0
