-- ARGV[6]: mark ("" = any); ARGV[7]: excluded mark ("" = none); ARGV[8]: limit ("-1" =
-- none); ARGV[9]: "1" to return each message's id too.
-- Returns {summary, payloads values}, or with ARGV[9] {summary, payloads values, ids}; oldest
-- first. A payload holds its message's id, so get_memory needs no ids beside it; a value
-- holds the message's marks (see _common.lua).
local mark, exclude, limit = ARGV[6], ARGV[7], tonumber(ARGV[8])
local source = seq
if mark ~= '' then
  source = mark_key(mark)
end
local ids = select_ids(source, exclude ~= '' and mark_key(exclude) or nil, limit)
local found = {}
if #ids > 0 then
  found = hmget_all(payloads, ids)
end
local summary = redis.call('HGET', meta, 'summary') or ''
touch()
if ARGV[9] ~= '1' then
  return {summary, found}
end
return {summary, found, ids}
