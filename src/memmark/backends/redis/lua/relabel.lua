-- ARGV[5]: new mark ("" = none); ARGV[6]: old mark ("" = any); ARGV[7]: "1" when the
-- scope is limited to the ids in ARGV[8..]. Returns how many messages' marks changed.
local new_mark, old_mark = ARGV[5], ARGV[6]
local scope = {}
if ARGV[7] == '1' then
  for i = 8, #ARGV do
    local score = redis.call('ZSCORE', seq, ARGV[i])
    if score then
      scope[#scope + 1] = {ARGV[i], score}
    end
  end
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

local changed = 0
for _, entry in ipairs(scope) do
  local id, score = entry[1], entry[2]
  local marks = split(redis.call('HGET', msg_marks, id))
  local kept, has_old, has_new = {}, false, false
  for _, mark in ipairs(marks) do
    if mark == old_mark then
      has_old = true
    else
      kept[#kept + 1] = mark
      if mark == new_mark then
        has_new = true
      end
    end
  end
  local gains = new_mark ~= '' and not has_new
  if (old_mark ~= '' and has_old) or (old_mark == '' and gains) then
    if has_old then
      redis.call('ZREM', mark_key(old_mark), id)
    end
    if gains then
      kept[#kept + 1] = new_mark
      redis.call('ZADD', mark_key(new_mark), score, id)
    end
    if #kept == 0 then
      redis.call('HDEL', msg_marks, id)
    else
      redis.call('HSET', msg_marks, id, table.concat(kept, '\0'))
    end
    changed = changed + 1
  end
end
if changed > 0 then
  if new_mark ~= '' then
    redis.call('SADD', mark_names, new_mark)
  end
  if old_mark ~= '' and redis.call('EXISTS', mark_key(old_mark)) == 0 then
    redis.call('SREM', mark_names, old_mark)
  end
  stamp()
end
touch()
return changed
