-- The server's configuration for vim.lsp.enable('retort') on Neovim 0.11+,
-- for users who do not call require('retort').setup(). It starts only for
-- dvc.yaml, dvc.lock and params files. The setup() path adds user commands,
-- code lens refresh and progress on top.
local names = {
  ['dvc.yaml'] = true,
  ['dvc.lock'] = true,
  ['params.yaml'] = true,
  ['params.yml'] = true,
  ['params.json'] = true,
  ['params.toml'] = true,
  ['params.py'] = true,
}

return {
  cmd = { 'retort', 'lsp' },
  filetypes = { 'yaml', 'json', 'toml', 'python' },
  root_dir = function(bufnr, on_dir)
    local path = vim.api.nvim_buf_get_name(bufnr)
    if not names[vim.fs.basename(path)] then
      return
    end
    on_dir(vim.fs.root(bufnr, { '.dvc', '.git' }) or vim.fs.dirname(path))
  end,
}
