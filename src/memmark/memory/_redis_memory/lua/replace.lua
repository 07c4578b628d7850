-- ARGV[3]: summary; ARGV[4]: number of messages; ARGV[5..]: (id, payload, joined marks).
wipe()
insert(5, tonumber(ARGV[4]))
if ARGV[3] ~= '' then
  redis.call('HSET', meta, 'summary', ARGV[3])
end
stamp()
touch()
return 1
