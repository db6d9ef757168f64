-- Running the server's commands (`workspace/executeCommand`) from user
-- commands and from code lenses, and showing what they return.

local client_mod = require('retort.client')
local progress = require('retort.progress')
local view = require('retort.view')

local M = {}

-- The outcome of the latest command, as { command = ..., result = ..., error = ... }.
M.last = nil

local function announce(event)
  local options = { pattern = 'RetortCommandDone', modeline = false }
  if vim.fn.has('nvim-0.8') == 1 then
    options.data = event
  end
  vim.api.nvim_exec_autocmds('User', options)
end

local function refresh_lenses()
  -- 0.12 refreshes lenses itself on the server's refresh request.
  if vim.lsp.codelens.enable then
    return
  end
  local current = vim.api.nvim_get_current_buf()
  for _, client in ipairs(client_mod.clients()) do
    if vim.lsp.buf_is_attached(current, client.id) then
      vim.lsp.codelens.refresh({ bufnr = current })
      return
    end
  end
end

local function no_server()
  vim.notify(
    'retort: no Retort language server is running for this buffer; open a dvc.yaml or params file of the project first',
    vim.log.levels.ERROR
  )
end

-- What to do with a command's result besides the server's own message.
local presenters = {
  ['retort.exp.diff'] = function(result)
    if result.status == 'ok' and type(result.data) == 'table' then
      view.show('retort://diff', view.diff_lines(result.data), 'retort-diff')
    end
  end,
  ['retort.exp.show'] = function(result)
    if result.status == 'ok' and type(result.data) == 'table' then
      M.show_table(result.data)
    end
  end,
}

-- Sends `command` with one argument object to the server. `client` defaults to
-- the server of the current buffer. `done(err, result)` runs after the
-- plugin's own handling.
function M.execute(command, argument, client, done)
  client = client or client_mod.for_buffer(0)
  if not client then
    no_server()
    return
  end
  local params = { command = command, arguments = { argument or vim.empty_dict() } }
  client_mod.request(client, 'workspace/executeCommand', params, function(err, result)
    progress.finish(command)
    M.last = { command = command, result = result, error = err }
    if err then
      vim.notify(string.format('retort %s: %s', command, err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif type(result) == 'table' and presenters[command] then
      presenters[command](result)
    end
    refresh_lenses()
    announce({ command = command, status = result and result.status, message = result and result.message })
    if done then
      done(err, result)
    end
  end, vim.api.nvim_get_current_buf())
end

-- Handlers for the `commands` field of the client: a lens or code action
-- whose command id is listed here runs through M.execute.
function M.client_commands()
  local handlers = {}
  for _, id in ipairs({
    'retort.check',
    'retort.repro',
    'retort.status',
    'retort.exp.run',
    'retort.exp.queue',
    'retort.exp.diff',
    'retort.exp.show',
    'retort.exp.apply',
    'retort.exp.branch',
    'retort.exp.remove',
    'retort.runCache.checkout',
    'retort.queue.start',
  }) do
    handlers[id] = function(command, ctx)
      local client = ctx and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id) or nil
      M.execute(command.command, (command.arguments or {})[1], client)
    end
  end
  return handlers
end

-- Splits `:RetortExpRun` arguments: `key=value` (or `-S key=value`) are
-- overrides, other words are stage names.
function M.parse_run_args(words)
  local argument = { targets = {}, set = {} }
  local index = 1
  while index <= #words do
    local word = words[index]
    if word == '-S' or word == '--set-param' then
      index = index + 1
      if words[index] == nil then
        error(word .. ' needs a key=value after it')
      end
      table.insert(argument.set, words[index])
    elseif word:find('=', 1, true) then
      table.insert(argument.set, word)
    else
      table.insert(argument.targets, word)
    end
    index = index + 1
  end
  -- Empty lists are left out: an empty Lua table could be sent as {}.
  for _, key in ipairs({ 'targets', 'set' }) do
    if #argument[key] == 0 then
      argument[key] = nil
    end
  end
  if next(argument) == nil then
    return vim.empty_dict()
  end
  return argument
end

-- Rows of the experiments table by buffer, for the table's mappings.
local rows_by_buffer = {}

local function row_under_cursor(bufnr)
  local rows = rows_by_buffer[bufnr] or {}
  local row = rows[vim.api.nvim_win_get_cursor(0)[1]]
  if row == nil or row.name == nil or row.name == vim.NIL or row.rev == 'workspace' or row.name == 'HEAD' then
    vim.notify('retort: put the cursor on an experiment row', vim.log.levels.WARN)
    return nil
  end
  return row
end

-- Shows the result of `retort/experiments` in the experiments buffer.
function M.show_table(result)
  local lines, row_at = view.experiments_lines(result)
  local bufnr = view.show('retort://experiments', lines, 'retort-experiments')
  rows_by_buffer[bufnr] = row_at
  local function map(key, action)
    vim.api.nvim_buf_set_keymap(bufnr, 'n', key, '', { noremap = true, silent = true, callback = action })
  end
  map('r', function()
    M.show_experiments()
  end)
  map('a', function()
    local row = row_under_cursor(bufnr)
    if row then
      M.execute('retort.exp.apply', { experiment = row.name })
    end
  end)
  map('b', function()
    local row = row_under_cursor(bufnr)
    if row then
      local branch = vim.fn.input('Branch name: ', row.name .. '-branch')
      if branch ~= '' then
        M.execute('retort.exp.branch', { experiment = row.name, branch = branch })
      end
    end
  end)
  map('x', function()
    local row = row_under_cursor(bufnr)
    if row then
      M.execute('retort.exp.remove', { experiment = row.name })
    end
  end)
  return bufnr
end

-- Requests `retort/experiments` and shows it.
function M.show_experiments(done)
  local client = client_mod.for_buffer(0)
  if not client then
    no_server()
    return
  end
  client_mod.request(client, 'retort/experiments', vim.empty_dict(), function(err, result)
    if err then
      vim.notify('retort: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    else
      M.show_table(result)
    end
    if done then
      done(err, result)
    end
  end, vim.api.nvim_get_current_buf())
end

-- Experiment names for command-line completion, asked of the server with a
-- short timeout.
function M.experiment_names(prefix)
  local client = client_mod.for_buffer(0)
  if not client then
    return {}
  end
  local answer
  client_mod.request(client, 'retort/experiments', vim.empty_dict(), function(err, result)
    answer = { err = err, result = result }
  end, vim.api.nvim_get_current_buf())
  vim.wait(1000, function()
    return answer ~= nil
  end, 10)
  local names = {}
  for _, row in ipairs((answer and answer.result and answer.result.rows) or {}) do
    local name = row.name
    if type(name) == 'string' and name ~= 'HEAD' and row.rev ~= 'workspace' and vim.startswith(name, prefix or '') then
      table.insert(names, name)
    end
  end
  return names
end

local function complete_experiments(lead)
  return M.experiment_names(lead)
end

-- Defines the :Retort* user commands.
function M.define()
  local define = vim.api.nvim_create_user_command
  define('RetortExpRun', function(opts)
    M.execute('retort.exp.run', M.parse_run_args(opts.fargs))
  end, { nargs = '*', desc = 'Run an experiment: stage names and key=value overrides' })
  local function queue(opts)
    M.execute('retort.exp.queue', M.parse_run_args(opts.fargs))
  end
  define('RetortExpQueue', queue, { nargs = '*', desc = 'Queue an experiment: stage names and key=value overrides' })
  define('RetortQueue', queue, { nargs = '*', desc = 'Queue an experiment (same as :RetortExpQueue)' })
  define('RetortQueueStart', function(opts)
    local argument = vim.empty_dict()
    if opts.args ~= '' then
      local jobs = tonumber(opts.args)
      if not jobs or jobs < 1 or jobs ~= math.floor(jobs) then
        vim.notify("retort: :RetortQueueStart takes a number of workers, such as 2; got '" .. opts.args .. "'", vim.log.levels.ERROR)
        return
      end
      argument = { jobs = jobs }
    end
    M.execute('retort.queue.start', argument)
  end, { nargs = '?', desc = 'Start queue workers' })
  define('RetortExpShow', function()
    M.show_experiments()
  end, { nargs = 0, desc = 'Show the experiments table' })
  define('RetortExpApply', function(opts)
    M.execute('retort.exp.apply', { experiment = opts.fargs[1] })
  end, { nargs = 1, complete = complete_experiments, desc = 'Apply an experiment to the workspace' })
  define('RetortExpBranch', function(opts)
    local argument = { experiment = opts.fargs[1] }
    if opts.fargs[2] then
      argument.branch = opts.fargs[2]
    end
    M.execute('retort.exp.branch', argument)
  end, { nargs = '+', complete = complete_experiments, desc = 'Create a branch from an experiment' })
  define('RetortExpRemove', function(opts)
    for _, name in ipairs(opts.fargs) do
      M.execute('retort.exp.remove', { experiment = name })
    end
  end, { nargs = '+', complete = complete_experiments, desc = 'Remove experiments' })
  local function diff(opts)
    local argument = vim.empty_dict()
    if opts.args ~= '' then
      argument = { revision = opts.args }
    end
    M.execute('retort.exp.diff', argument)
  end
  define('RetortDiff', diff, { nargs = '?', desc = 'Diff params and metrics of the workspace with a revision' })
  define('RetortExpDiff', diff, { nargs = '?', desc = 'Same as :RetortDiff' })
  define('RetortRepro', function(opts)
    local argument = vim.empty_dict()
    if #opts.fargs > 0 then
      argument = { targets = opts.fargs }
    end
    M.execute('retort.repro', argument)
  end, { nargs = '*', desc = 'Reproduce stages' })
  define('RetortLensRun', function()
    vim.lsp.codelens.run()
  end, { nargs = 0, desc = 'Run the code lens on the cursor line' })
end

return M
