-- The plugin's pure parts without a server: argument parsing of
-- :RetortExpRun, the experiments table and the diff rendering, file matching
-- and root detection. Reports each output for the Rust driver to check.
local h = dofile(os.getenv('RETORT_NVIM_TESTS') .. '/harness.lua')

h.run(function()
  local commands = require('retort.commands')
  local view = require('retort.view')
  local files = require('retort.files')

  local parsed = {}
  for _, words in ipairs({
    {},
    { 'train' },
    { 'train.lr=0.2', 'evaluate' },
    { '-S', 'train.lr=0.2', '--set-param', 'epochs=3' },
  }) do
    table.insert(parsed, commands.parse_run_args(words))
  end
  local missing_ok, missing_error = pcall(commands.parse_run_args, { '-S' })

  local table_lines = view.experiments_lines({
    experiments_available = true,
    rows = {
      {
        rev = 'workspace',
        name = vim.NIL,
        params = { ['params.yaml'] = { lr = 0.5 }, ['eval.yaml'] = { threshold = 3 } },
        metrics = { ['metrics.json'] = { acc = 0.875 } },
      },
      {
        rev = string.rep('a', 40),
        name = 'quick-fox',
        baseline = string.rep('b', 40),
        state = 'failed',
        params = { ['params.yaml'] = { lr = 0.25 } },
        metrics = {},
      },
    },
  })
  local empty_diff = view.diff_lines({ revision = 'HEAD', params = {}, metrics = {} })

  local root = vim.fn.getcwd()
  return {
    parsed = parsed,
    missing = { ok = missing_ok, error = tostring(missing_error) },
    table = table_lines,
    empty_diff = empty_diff,
    served = {
      files.is_served(root .. '/dvc.yaml'),
      files.is_served(root .. '/sub/params.json'),
      files.is_served(root .. '/data.yaml'),
    },
    root_of_nested = files.root_of(root .. '/sub/deeper/dvc.yaml'),
  }
end)
