-- Starting `retort lsp` and attaching it to buffers, with the newest API each
-- Neovim version has: vim.lsp.config/enable (0.11+), vim.lsp.start (0.8 to
-- 0.10), vim.lsp.start_client with buf_attach_client (0.7).

local config = require('retort.config')
local files = require('retort.files')

local M = {}

M.name = 'retort'

-- The API that started the server: 'enable', 'start' or 'start_client'.
M.api = nil

-- Client ids by project root, for the 0.7 path, which has no vim.lsp.start
-- to find a running client for us.
local clients_by_root = {}

-- Every running Retort client.
function M.clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.name })
  end
  local found = {}
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == M.name then
      table.insert(found, client)
    end
  end
  return found
end

-- The Retort client attached to `bufnr` (0: the current buffer); else the
-- only running one; else nil.
function M.for_buffer(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local all = M.clients()
  for _, client in ipairs(all) do
    if vim.lsp.buf_is_attached(bufnr, client.id) then
      return client
    end
  end
  if #all == 1 then
    return all[1]
  end
  return nil
end

-- client:request on 0.11+, client.request before (the dot form is deprecated
-- there).
function M.request(client, method, params, handler, bufnr)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function enable_codelens(bufnr)
  if not config.current.codelens then
    return
  end
  -- 0.12 shows and refreshes lenses itself once enabled for the buffer.
  if vim.lsp.codelens.enable then
    vim.lsp.codelens.enable(true, { bufnr = bufnr })
    return
  end
  local group = vim.api.nvim_create_augroup('RetortCodeLens' .. bufnr, { clear = true })
  local function refresh()
    -- 0.7 to 0.9 refresh the current buffer and ignore the argument.
    if vim.api.nvim_get_current_buf() == bufnr or vim.fn.has('nvim-0.10') == 1 then
      vim.lsp.codelens.refresh({ bufnr = bufnr })
    end
  end
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave', 'BufWritePost' }, {
    group = group,
    buffer = bufnr,
    callback = refresh,
  })
  refresh()
end

local function on_attach(client, bufnr)
  enable_codelens(bufnr)
  if config.current.on_attach then
    config.current.on_attach(client, bufnr)
  end
end

-- The settings shared by every start path.
local function client_config(root)
  local commands = require('retort.commands')
  local progress = require('retort.progress')
  local settings = {
    name = M.name,
    cmd = config.current.cmd,
    init_options = config.current.init_options,
    handlers = { ['retort/progress'] = progress.handler },
    -- Lens and code action commands run through the plugin, so that their
    -- results show in Neovim (tables, progress) and lenses refresh after.
    commands = commands.client_commands(),
    on_attach = on_attach,
  }
  if root then
    settings.root_dir = root
    settings.workspace_folders = {
      { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') },
    }
  end
  return settings
end

-- 0.7: one client per project root, attached buffer by buffer.
local function attach_legacy(bufnr, root)
  local id = clients_by_root[root]
  if id and vim.lsp.get_client_by_id(id) == nil then
    id = nil
  end
  if not id then
    id = vim.lsp.start_client(client_config(root))
    if not id then
      vim.notify(
        'retort: failed to start ' .. table.concat(config.current.cmd, ' ') .. '; run :checkhealth retort',
        vim.log.levels.ERROR
      )
      return
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

-- Attaches the server to `bufnr` when it is a served file (0.7 to 0.10).
function M.maybe_attach(bufnr)
  local root = files.buffer_root(bufnr)
  if not root then
    return
  end
  if M.api == 'start' then
    vim.lsp.start(client_config(root), { bufnr = bufnr })
  else
    attach_legacy(bufnr, root)
  end
end

local function binary_missing()
  local binary = config.current.cmd[1]
  if vim.fn.executable(binary) == 1 then
    return false
  end
  vim.notify(
    string.format(
      "retort: '%s' was not found. Install it with `cargo install --path cli` from the Retort "
        .. 'repository, or pass its path: require("retort").setup({ cmd = { "/path/to/retort", "lsp" } })',
      binary
    ),
    vim.log.levels.ERROR
  )
  return true
end

function M.start()
  if binary_missing() then
    return
  end
  if vim.lsp.config and vim.lsp.enable then
    M.api = 'enable'
    local settings = client_config(nil)
    settings.filetypes = config.current.filetypes
    -- Called per buffer: not calling on_dir means "do not attach".
    settings.root_dir = function(bufnr, on_dir)
      local root = files.buffer_root(bufnr)
      if root then
        on_dir(root)
      end
    end
    vim.lsp.config(M.name, settings)
    vim.lsp.enable(M.name)
    -- Early 0.11 builds of vim.lsp.enable wait for the next FileType event,
    -- so buffers opened before setup() get one here. A second start for the
    -- same root reuses the running server.
    if vim.v.vim_did_enter == 1 then
      for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
        if vim.api.nvim_buf_is_loaded(bufnr) and files.buffer_root(bufnr) then
          pcall(vim.api.nvim_exec_autocmds, 'FileType', { group = 'nvim.lsp.enable', buffer = bufnr })
        end
      end
    end
    return
  end
  M.api = vim.lsp.start and 'start' or 'start_client'
  local group = vim.api.nvim_create_augroup('RetortAttach', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.current.filetypes,
    callback = function(args)
      M.maybe_attach(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype ~= '' then
      M.maybe_attach(bufnr)
    end
  end
end

return M
