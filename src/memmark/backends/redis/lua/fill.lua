-- ARGV[5]: summary; ARGV[6]: number of messages; ARGV[7..]: (id, payload, joined marks).
-- Stores them only if the session holds no message and no summary: returns 1, else 0.
if redis.call('ZCARD', seq) > 0 or redis.call('HEXISTS', meta, 'summary') == 1 then
  touch()
  return 0
end
if ARGV[5] ~= '' or ARGV[6] ~= '0' then
  register()
end
insert(7, tonumber(ARGV[6]))
if ARGV[5] ~= '' then
  redis.call('HSET', meta, 'summary', ARGV[5])
end
stamp()
touch()
return 1
