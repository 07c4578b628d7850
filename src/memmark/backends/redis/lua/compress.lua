-- ARGV[6]: summary ("" clears it); ARGV[7]: mark ("" = delete the messages); ARGV[8..]:
-- message ids. Returns how many messages gained the mark or were deleted.
local summary, mark = ARGV[6], ARGV[7]
local changed = 0
if mark == '' then
  for i = 8, #ARGV do
    changed = changed + remove(ARGV[i])
  end
else
  changed = relabel_scope(mark, '', scored_ids(8))
end
local summarised = summary ~= (redis.call('HGET', meta, 'summary') or '')
if summary == '' then
  redis.call('HDEL', meta, 'summary')
else
  register()
  redis.call('HSET', meta, 'summary', summary)
end
if changed > 0 or summarised then
  stamp()
end
touch()
return changed
