-- ARGV[6]: "1" to forget the version too (the store deleting the session).
-- Returns 1 if the session held a message or a summary.
if wipe(ARGV[6] == '1') then
  return 1
end
return 0
