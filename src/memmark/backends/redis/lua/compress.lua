-- ARGV[5]: summary ("" clears it); ARGV[6]: mark ("" = delete the messages); ARGV[7..]:
-- message ids. Returns how many messages gained the mark or were deleted.
local summary, mark = ARGV[5], ARGV[6]
local changed = 0
if mark == '' then
  for i = 7, #ARGV do
    changed = changed + remove(ARGV[i])
  end
else
  changed = relabel_scope(mark, '', scored_ids(7))
end
if summary == '' then
  redis.call('HDEL', meta, 'summary')
else
  register()
  redis.call('HSET', meta, 'summary', summary)
end
stamp()
touch()
return changed
