-- ARGV[6..]: message ids.
local deleted = 0
for i = 6, #ARGV do
  deleted = deleted + remove(ARGV[i])
end
if deleted > 0 then
  stamp()
end
touch()
return deleted
