-- ARGV[6]: summary; ARGV[7]: number of messages; ARGV[8..]: (id, payload, joined marks);
-- the last ARGV: the last-update time to record (ms), or '' for now.
wipe()
if ARGV[6] ~= '' or ARGV[7] ~= '0' then
  register()
end
insert(8, tonumber(ARGV[7]))
if ARGV[6] ~= '' then
  redis.call('HSET', meta, 'summary', ARGV[6])
end
local at_ms = ARGV[8 + 3 * tonumber(ARGV[7])]
stamp(at_ms ~= '' and at_ms or nil)
touch()
return 1
