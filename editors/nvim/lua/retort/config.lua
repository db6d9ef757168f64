-- The plugin's options: defaults, merged with what the user passes to setup().

local M = {}

M.defaults = {
  -- The command that starts the language server.
  cmd = { 'retort', 'lsp' },
  -- Files the server is attached to, matched on the file name alone.
  filenames = {
    'dvc.yaml',
    'dvc.lock',
    'params.yaml',
    'params.yml',
    'params.json',
    'params.toml',
    'params.py',
  },
  -- More files to attach to, as Lua patterns matched against the full path
  -- (for params files with other names, such as '/configs/.*%.yaml$').
  patterns = {},
  -- Filetypes the buffers above have; the server starts from FileType events.
  filetypes = { 'yaml', 'json', 'toml', 'python' },
  -- Directories whose presence marks a project root, nearest first.
  root_markers = { '.dvc', '.git' },
  -- Passed to the server as initializationOptions (see docs/lsp-extensions.md).
  init_options = {},
  -- Called as on_attach(client, bufnr) after the server attaches to a buffer.
  on_attach = nil,
  -- Refresh and show code lenses (on Neovim before 0.12 the plugin refreshes
  -- them on BufEnter, CursorHold, InsertLeave and after writes).
  codelens = true,
  -- Show each step of a running command with vim.notify; the step is always
  -- available to statuslines through require('retort').status().
  notify_progress = false,
  -- Where :RetortExpShow and :RetortDiff show their tables: 'split' or 'float'.
  view = 'split',
  -- Define the :Retort* user commands.
  commands = true,
}

-- Merges `user` over the defaults; lists are replaced, not merged.
function M.merge(user)
  local merged = vim.deepcopy(M.defaults)
  for key, value in pairs(user or {}) do
    if M.defaults[key] == nil and key ~= 'on_attach' then
      error(string.format("retort.setup: unknown option '%s'", key))
    end
    merged[key] = value
  end
  if type(merged.cmd) == 'string' then
    merged.cmd = { merged.cmd, 'lsp' }
  end
  return merged
end

M.current = vim.deepcopy(M.defaults)

return M
