-- ARGV[5]: new mark ("" = none); ARGV[6]: old mark ("" = any); ARGV[7]: "1" when the
-- scope is limited to the ids in ARGV[8..]. Returns how many messages' marks changed.
local new_mark, old_mark = ARGV[5], ARGV[6]
local scope = {}
if ARGV[7] == '1' then
  scope = scored_ids(8)
else
  local source = seq
  if old_mark ~= '' then
    source = mark_key(old_mark)
  end
  local flat = redis.call('ZRANGE', source, 0, -1, 'WITHSCORES')
  for i = 1, #flat, 2 do
    scope[#scope + 1] = {flat[i], flat[i + 1]}
  end
end
local changed = relabel_scope(new_mark, old_mark, scope)
if changed > 0 then
  stamp()
end
touch()
return changed
