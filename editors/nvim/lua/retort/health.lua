-- :checkhealth retort. Neovim 0.10+ has vim.health.start/ok/...; 0.8 and 0.9
-- have vim.health.report_*; 0.7 has only the health#report_* functions.

local M = {}

local function reporter()
  local health = vim.health
  if health and health.start then
    return health
  end
  if health and health.report_start then
    return {
      start = health.report_start,
      ok = health.report_ok,
      warn = health.report_warn,
      error = health.report_error,
      info = health.report_info,
    }
  end
  local function call(name)
    return function(message, advice)
      if advice then
        vim.fn['health#report_' .. name](message, advice)
      else
        vim.fn['health#report_' .. name](message)
      end
    end
  end
  return {
    start = function(name)
      vim.fn['health#report_start'](name)
    end,
    ok = call('ok'),
    warn = call('warn'),
    error = call('error'),
    info = call('info'),
  }
end

function M.check()
  local report = reporter()
  local config = require('retort.config')
  local retort = require('retort')

  report.start('retort: Neovim')
  local version = vim.version()
  local version_text = string.format('%d.%d.%d', version.major, version.minor, version.patch)
  if vim.fn.has('nvim-0.7') == 1 then
    report.ok('Neovim ' .. version_text)
  else
    report.error('Neovim ' .. version_text .. ' is too old', { 'Retort needs Neovim 0.7 or later.' })
  end

  report.start('retort: setup')
  if retort.did_setup then
    local api = require('retort.client').api or 'none'
    report.ok("require('retort').setup() ran; the server starts through " .. api)
  else
    report.warn("require('retort').setup() has not run", { "Add require('retort').setup({}) to your init.lua." })
  end

  report.start('retort: language server')
  local binary = config.current.cmd[1]
  if vim.fn.executable(binary) == 1 then
    local output = vim.fn.system({ binary, '--version' })
    if vim.v.shell_error == 0 then
      report.ok(string.format('%s (%s)', vim.trim(output), vim.fn.exepath(binary)))
    else
      report.error(string.format("'%s --version' failed: %s", binary, vim.trim(output)))
    end
  else
    report.error(string.format("'%s' was not found", binary), {
      'Install Retort (cargo install --path cli in its repository) or put it on PATH.',
      "Or pass the path: require('retort').setup({ cmd = { '/path/to/retort', 'lsp' } })",
    })
  end
  local clients = retort.clients()
  if #clients == 0 then
    report.info('No Retort server is running; open a dvc.yaml or params file to start one.')
  end
  for _, client in ipairs(clients) do
    report.ok(string.format('server %d running for %s', client.id, client.config.root_dir or '?'))
  end

  report.start('retort: other servers')
  if vim.fn.executable('yaml-language-server') == 1 then
    report.ok('yaml-language-server is installed; it can run beside Retort on the same files')
  else
    report.info('yaml-language-server is not installed (optional: schema checks and YAML formatting)')
  end
end

return M
