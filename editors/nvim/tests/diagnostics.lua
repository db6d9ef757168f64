-- Opens a broken dvc.yaml and reports the diagnostics Neovim received.
local h = dofile(os.getenv('RETORT_NVIM_TESTS') .. '/harness.lua')

h.run(function()
  h.setup()
  local bufnr = vim.api.nvim_get_current_buf()
  h.attached(bufnr)
  h.wait(10000, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 'diagnostics')
  local diagnostics = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(diagnostics, {
      lnum = diagnostic.lnum,
      col = diagnostic.col,
      message = diagnostic.message,
      severity = diagnostic.severity,
    })
  end

  -- dvc.lock gets the YAML filetype and the same server.
  vim.cmd('edit dvc.lock')
  local lock = vim.api.nvim_get_current_buf()
  local lock_client = h.attached(lock)
  local clients = require('retort').clients()
  return {
    api = require('retort.client').api,
    diagnostics = diagnostics,
    lock_filetype = vim.bo[lock].filetype,
    one_client = #clients == 1 and clients[1].id == lock_client.id,
    root = lock_client.config.root_dir,
  }
end)
