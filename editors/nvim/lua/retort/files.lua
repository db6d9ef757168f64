-- The buffers the server serves, and their project roots. Written
-- with vim.loop alone so that it runs on Neovim 0.7, which has no vim.fs.

local config = require('retort.config')

local M = {}

local uv = vim.loop

local function basename(path)
  return path:match('([^/\\]+)$') or path
end

local function dirname(path)
  local parent = path:match('^(.*)[/\\][^/\\]*$')
  if parent == '' then
    return '/'
  end
  return parent
end

-- Whether `path` (absolute) is a file the server should see.
function M.is_served(path)
  if path == nil or path == '' then
    return false
  end
  local name = basename(path)
  for _, wanted in ipairs(config.current.filenames) do
    if name == wanted then
      return true
    end
  end
  for _, pattern in ipairs(config.current.patterns) do
    if path:match(pattern) then
      return true
    end
  end
  return false
end

-- The nearest ancestor of `path` that contains one of the root markers, trying
-- the markers in order; the file's own directory when none matches.
function M.root_of(path)
  local start = dirname(path)
  for _, marker in ipairs(config.current.root_markers) do
    local dir = start
    while dir do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
      local parent = dirname(dir)
      if parent == dir then
        break
      end
      dir = parent
    end
  end
  return start
end

-- The absolute path of a buffer's file, or nil for buffers without one.
function M.buffer_path(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a+://') then
    return nil
  end
  return vim.fn.fnamemodify(name, ':p')
end

-- The root of a buffer the server should serve, or nil.
function M.buffer_root(bufnr)
  local path = M.buffer_path(bufnr)
  if not M.is_served(path) then
    return nil
  end
  return M.root_of(path)
end

-- dvc.lock and *.dvc files have no filetype in Neovim; they are YAML. A plain
-- autocommand works on every version (Lua filetype detection is off by
-- default on 0.7); vim.filetype.add covers 0.8 and later as well.
function M.detect_filetypes()
  if vim.fn.has('nvim-0.8') == 1 and vim.filetype and vim.filetype.add then
    vim.filetype.add({ filename = { ['dvc.lock'] = 'yaml' }, extension = { dvc = 'yaml' } })
  end
  local group = vim.api.nvim_create_augroup('RetortFiletype', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
    group = group,
    pattern = { 'dvc.lock', '*.dvc' },
    command = 'setfiletype yaml',
  })
  -- Buffers opened before setup() ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype == '' then
      local path = M.buffer_path(bufnr)
      if path and (basename(path) == 'dvc.lock' or path:match('%.dvc$')) then
        vim.bo[bufnr].filetype = 'yaml'
      end
    end
  end
end

return M
