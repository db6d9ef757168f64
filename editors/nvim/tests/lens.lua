-- Runs the "Run experiment" lens of a stage through vim.lsp.codelens.run(),
-- then :RetortExpRun with an override, then :RetortExpBranch, :RetortExpRemove
-- and the experiments table's `x` key on the new experiments. Reports the results, the lens
-- titles and the progress lines a statusline would have shown.
local h = dofile(os.getenv('RETORT_NVIM_TESTS') .. '/harness.lua')

local timeout = tonumber(os.getenv('RETORT_TEST_RUN_TIMEOUT_MS') or '') or 120000

-- The statusline text right after each progress notification. The handler
-- is wrapped before setup() hands it to the client. Reading status() from
-- the User event instead would race with the end of the command.
local statuses = {}
local progress_events = 0
local progress = require('retort.progress')
local handle = progress.handler
progress.handler = function(...)
  handle(...)
  local status = require('retort').status()
  if status ~= '' and statuses[#statuses] ~= status then
    table.insert(statuses, status)
  end
end
vim.api.nvim_create_autocmd('User', {
  pattern = 'RetortProgress',
  callback = function()
    progress_events = progress_events + 1
  end,
})

-- Waits for the next command the plugin runs to finish; returns its outcome.
local function next_outcome(start)
  local commands = require('retort.commands')
  commands.last = nil
  start()
  h.wait(timeout, function()
    return commands.last ~= nil
  end, 'the command to finish')
  local last = commands.last
  return { command = last.command, result = last.result, error = last.error and last.error.message }
end

h.run(function()
  h.setup()
  local bufnr = vim.api.nvim_get_current_buf()
  h.attached(bufnr)
  -- The plugin requests lenses when the buffer is attached, and 0.7 keeps
  -- them per buffer.
  h.wait(10000, function()
    return #vim.lsp.codelens.get(bufnr) > 0
  end, 'code lenses')
  local titles = {}
  local run_line
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr)) do
    local entry = lens.lens or lens
    table.insert(titles, entry.command.title)
    if entry.command.title == 'Run experiment' then
      run_line = entry.range.start.line
    end
  end
  assert(run_line, 'no "Run experiment" lens among: ' .. table.concat(titles, ', '))

  -- Several lenses share the stage's line: pick ours as a user would.
  vim.ui.select = function(items, options, choice)
    for _, item in ipairs(items) do
      local title = options.format_item and options.format_item(item) or tostring(item)
      if title:find('Run experiment', 1, true) == 1 then
        return choice(item)
      end
    end
    error('the lens menu had no "Run experiment"')
  end
  vim.api.nvim_win_set_cursor(0, { run_line + 1, 0 })
  local from_lens = next_outcome(function()
    vim.lsp.codelens.run()
  end)
  local from_command = next_outcome(function()
    vim.cmd('RetortExpRun train.lr=0.3')
  end)
  -- With experiments to act on, branch from the second and remove the first.
  local branch, remove, refs_after_remove, table_remove
  local first = from_lens.result and from_lens.result.data
  local second = from_command.result and from_command.result.data
  if type(first) == 'table' and type(second) == 'table' and first.name and second.name then
    branch = next_outcome(function()
      vim.cmd('RetortExpBranch ' .. second.name .. ' from-neovim')
    end)
    remove = next_outcome(function()
      vim.cmd('RetortExpRemove ' .. first.name)
    end)
    refs_after_remove = vim.fn.systemlist({ 'git', 'for-each-ref', '--format=%(refname)', 'refs/exps' })

    -- In the experiments table, `x` on the second experiment's row removes it.
    local listed = false
    vim.cmd('RetortExpShow')
    h.wait(10000, function()
      local bufnr = vim.fn.bufnr('retort://experiments')
      if bufnr == -1 then
        return false
      end
      for _, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
        if line:find(second.name, 1, true) == 1 then
          listed = true
        end
      end
      return listed
    end, 'the experiment in the table')
    vim.api.nvim_set_current_win(vim.fn.bufwinid(vim.fn.bufnr('retort://experiments')))
    local row = h.find(0, '^' .. second.name:gsub('%-', '%%-'))
    vim.api.nvim_win_set_cursor(0, { row + 1, 0 })
    table_remove = next_outcome(function()
      vim.api.nvim_feedkeys('x', 'mx', false)
    end)
  end
  return {
    branch = branch,
    remove = remove,
    refs_after_remove = refs_after_remove,
    table_remove = table_remove,
    lenses = titles,
    from_lens = from_lens,
    from_command = from_command,
    statuses = statuses,
    progress_events = progress_events,
  }
end)
