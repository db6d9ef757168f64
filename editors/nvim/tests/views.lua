-- :RetortExpShow, :RetortDiff (in a split, then in a float) and :checkhealth
-- retort: reports the lines each one shows.
local h = dofile(os.getenv('RETORT_NVIM_TESTS') .. '/harness.lua')

local function lines_of(name)
  local bufnr = vim.fn.bufnr(name)
  if bufnr == -1 then
    return nil
  end
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

local function wait_buffer(name)
  h.wait(10000, function()
    local lines = lines_of(name)
    return lines ~= nil and #lines > 1
  end, 'the buffer ' .. name)
  return lines_of(name)
end

h.run(function()
  h.setup()
  local pipeline = vim.api.nvim_get_current_buf()
  h.attached(pipeline)

  vim.cmd('RetortExpShow')
  local table_lines = wait_buffer('retort://experiments')
  local table_window = vim.fn.bufwinid(vim.fn.bufnr('retort://experiments')) ~= -1

  vim.api.nvim_set_current_win(vim.fn.bufwinid(pipeline))
  vim.cmd('RetortDiff HEAD')
  local diff_lines = wait_buffer('retort://diff')

  -- With view = 'float', the diff opens again in a floating window.
  vim.api.nvim_win_close(vim.fn.bufwinid(vim.fn.bufnr('retort://diff')), true)
  vim.api.nvim_set_current_win(vim.fn.bufwinid(pipeline))
  require('retort.config').current.view = 'float'
  require('retort.commands').last = nil
  vim.cmd('RetortDiff')
  h.wait(10000, function()
    return vim.fn.bufwinid(vim.fn.bufnr('retort://diff')) ~= -1
  end, 'the diff window')
  local float = vim.api.nvim_win_get_config(vim.fn.bufwinid(vim.fn.bufnr('retort://diff'))).relative ~= ''
  vim.api.nvim_win_close(vim.fn.bufwinid(vim.fn.bufnr('retort://diff')), true)

  vim.api.nvim_set_current_win(vim.fn.bufwinid(pipeline))
  vim.cmd('checkhealth retort')
  local health_lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)

  local commands = vim.api.nvim_get_commands({})
  local defined = {}
  for name in pairs(commands) do
    if name:find('^Retort') then
      table.insert(defined, name)
    end
  end
  table.sort(defined)
  return {
    experiments = table_lines,
    experiments_in_window = table_window,
    diff = diff_lines,
    diff_in_float = float,
    health = health_lines,
    commands = defined,
  }
end)
