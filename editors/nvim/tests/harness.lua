-- Shared by the headless tests: runs a test body, writes what it observed as
-- JSON to $RETORT_TEST_OUT and quits with exit code 0, or writes the error
-- and quits with exit code 1. The Rust driver (tests/tests/nvim_plugin.rs)
-- makes the assertions on the JSON.

local M = {}

M.bin = os.getenv('RETORT_BIN') or 'retort'
M.out = os.getenv('RETORT_TEST_OUT')

local function write(value)
  local file = assert(io.open(M.out, 'w'))
  file:write(vim.fn.json_encode(value))
  file:close()
end

-- Waits until `condition()` is true; raises an error naming `description` on timeout.
function M.wait(ms, condition, description)
  if not vim.wait(ms, condition, 20) then
    error(string.format('timed out after %d ms waiting for %s', ms, description), 2)
  end
end

-- Starts the plugin with the binary under test.
function M.setup(options)
  options = options or {}
  options.cmd = { M.bin, 'lsp' }
  require('retort').setup(options)
end

-- Waits for the Retort client to attach to `bufnr` and returns it.
function M.attached(bufnr)
  local found
  M.wait(10000, function()
    for _, client in ipairs(require('retort').clients()) do
      if vim.lsp.buf_is_attached(bufnr, client.id) and client.initialized ~= false then
        found = client
        return true
      end
    end
    return false
  end, 'the retort client to attach to ' .. vim.api.nvim_buf_get_name(bufnr))
  -- Initialization has finished once the server's capabilities are known.
  M.wait(10000, function()
    return found.server_capabilities ~= nil or found.resolved_capabilities ~= nil
  end, 'initialize')
  return found
end

-- The 0-based line and column of the first match of `pattern` in a buffer.
function M.find(bufnr, pattern)
  for index, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local column = line:find(pattern)
    if column then
      return index - 1, column - 1
    end
  end
  error('no line matches ' .. pattern)
end

-- Text of a hover result's contents, whatever its shape.
function M.hover_text(result)
  if not result or not result.contents then
    return ''
  end
  local contents = result.contents
  if type(contents) == 'string' then
    return contents
  end
  if contents.value then
    return contents.value
  end
  local parts = {}
  for _, part in ipairs(contents) do
    table.insert(parts, type(part) == 'string' and part or part.value)
  end
  return table.concat(parts, '\n')
end

-- Runs `body`, writes its result (plus the Neovim version) and quits.
function M.run(body)
  local ok, result = xpcall(body, debug.traceback)
  local version = vim.version()
  if ok then
    result = result or {}
    result.nvim = string.format('%d.%d.%d', version.major, version.minor, version.patch)
    write(result)
    vim.cmd('qa!')
  else
    write({ error = tostring(result) })
    io.stderr:write(tostring(result) .. '\n')
    vim.cmd('cquit 1')
  end
end

return M
