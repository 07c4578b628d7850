-- ARGV[5]: summary; ARGV[6]: number of messages; ARGV[7..]: (id, payload, joined marks);
-- the last ARGV: the last-update time to record (ms), or '' for now.
wipe()
if ARGV[5] ~= '' or ARGV[6] ~= '0' then
  register()
end
insert(7, tonumber(ARGV[6]))
if ARGV[5] ~= '' then
  redis.call('HSET', meta, 'summary', ARGV[5])
end
local at_ms = ARGV[7 + 3 * tonumber(ARGV[6])]
stamp(at_ms ~= '' and at_ms or nil)
touch()
return 1
