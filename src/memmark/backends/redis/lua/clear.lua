-- Returns 1 if the session held a message or a summary.
if wipe() then
  return 1
end
return 0
