-- ARGV[6]: summary; ARGV[7]: number of messages; ARGV[8..]: (id, payload, joined marks).
-- Stores them only if the session holds no message and no summary: returns 1, else 0.
if redis.call('ZCARD', seq) > 0 or redis.call('HEXISTS', meta, 'summary') == 1 then
  touch()
  return 0
end
if ARGV[6] ~= '' or ARGV[7] ~= '0' then
  register()
end
insert(8, tonumber(ARGV[7]))
if ARGV[6] ~= '' then
  redis.call('HSET', meta, 'summary', ARGV[6])
end
stamp()
touch()
return 1
