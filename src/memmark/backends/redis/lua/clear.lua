-- Returns 1 if the session held a message or a summary. With the indexes passed (single
-- node), the emptied session also leaves them, and its user too when it was the last session.
local held = wipe()
unregister()
if held then
  return 1
end
return 0
