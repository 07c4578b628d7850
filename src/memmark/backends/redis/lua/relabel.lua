-- ARGV[6]: new mark ("" = none); ARGV[7]: old mark ("" = any); ARGV[8]: "1" when the
-- scope is limited to the ids in ARGV[9..]. Returns how many messages' marks changed.
local new_mark, old_mark = ARGV[6], ARGV[7]
local scope = {}
if ARGV[8] == '1' then
  scope = scored_ids(9)
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
