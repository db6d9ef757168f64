-- Progress of running commands, from the server's `retort/progress`
-- notification: kept for statuslines (require('retort').status()), shown with
-- vim.notify when asked, and announced as the `User RetortProgress` event.

local config = require('retort.config')

local M = {}

-- The latest event of each running command, by progress token.
local running = {}
-- Tokens in the order their commands started.
local order = {}

local function forget(token)
  running[token] = nil
  for index, known in ipairs(order) do
    if known == token then
      table.remove(order, index)
      return
    end
  end
end

local function short_command(command)
  return (command or ''):gsub('^retort%.', '')
end

-- Handler for the `retort/progress` notification (signature of 0.5.1+).
function M.handler(_, params, _)
  if type(params) ~= 'table' then
    return
  end
  local token = params.token
  if token == nil or token == vim.NIL then
    token = params.command or 'retort'
  end
  if params.kind == 'end' then
    forget(token)
  else
    if running[token] == nil then
      table.insert(order, token)
    end
    running[token] = params
  end
  if config.current.notify_progress and params.text and params.text ~= '' then
    local level = vim.log.levels.INFO
    if params.kind == 'end' and params.text ~= 'ok' then
      level = vim.log.levels.WARN
    end
    vim.notify(string.format('retort %s: %s', short_command(params.command), params.text), level)
  end
  vim.schedule(function()
    local event = { pattern = 'RetortProgress', modeline = false }
    -- Autocommand data arrived in 0.8.
    if vim.fn.has('nvim-0.8') == 1 then
      event.data = params
    end
    vim.api.nvim_exec_autocmds('User', event)
    vim.cmd('redrawstatus')
  end)
end

-- One line for a statusline: the newest step of the oldest running command,
-- or '' when nothing runs.
function M.status()
  local token = order[1]
  if token == nil then
    return ''
  end
  local event = running[token]
  local text = event.text or event.kind or ''
  local more = ''
  if #order > 1 then
    more = string.format(' (+%d)', #order - 1)
  end
  return string.format('retort %s: %s%s', short_command(event.command), text, more)
end

-- Whether a command is running.
function M.busy()
  return order[1] ~= nil
end

-- Forgets a command's progress (its request ended without an `end` event).
function M.finish(command)
  for _, token in ipairs(vim.deepcopy(order)) do
    if running[token] and running[token].command == command then
      forget(token)
    end
  end
end

return M
