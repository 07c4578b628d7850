-- ARGV[5..]: message ids.
local deleted = 0
for i = 5, #ARGV do
  deleted = deleted + remove(ARGV[i])
end
if deleted > 0 then
  stamp()
end
touch()
return deleted
