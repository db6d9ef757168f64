-- Retort for Neovim: starts `retort lsp` for dvc.yaml, dvc.lock and params
-- files, refreshes and runs its code lenses, and adds :Retort* commands for
-- the experiment workflow. Works on Neovim 0.7 and later.

local M = {}

-- Starts the plugin. Options are listed in lua/retort/config.lua and the
-- README; every one is optional.
function M.setup(options)
  local config = require('retort.config')
  config.current = config.merge(options)
  require('retort.files').detect_filetypes()
  if config.current.commands then
    require('retort.commands').define()
  end
  require('retort.client').start()
  M.did_setup = true
end

-- One line for a statusline: what the running command is doing, or ''.
-- Example: vim.o.statusline = "%f %=%{v:lua.require'retort'.status()}"
function M.status()
  return require('retort.progress').status()
end

-- Runs a server command with one argument object, as lenses do; see
-- docs/lsp-extensions.md for the commands and their fields.
function M.execute(command, argument, done)
  require('retort.commands').execute(command, argument, nil, done)
end

-- The running Retort clients.
function M.clients()
  return require('retort.client').clients()
end

return M
