-- Renders the experiments table (`retort/experiments`) and diffs
-- (`retort.exp.diff`) as text, and shows text in a scratch buffer. The
-- rendering functions are pure so that tests can call them directly.

local config = require('retort.config')

local M = {}

local function is_scalar(value)
  local kind = type(value)
  return kind == 'string' or kind == 'number' or kind == 'boolean'
end

local function text(value)
  if value == nil or value == vim.NIL then
    return '-'
  end
  if type(value) == 'number' then
    -- Integers without a trailing '.0', other numbers as the shortest form.
    if value == math.floor(value) and math.abs(value) < 1e15 then
      return string.format('%d', value)
    end
    return string.format('%.6g', value)
  end
  if type(value) == 'table' then
    return vim.fn.json_encode(value)
  end
  return tostring(value)
end

local function sorted_keys(map)
  local keys = {}
  for key in pairs(map) do
    table.insert(keys, key)
  end
  table.sort(keys)
  return keys
end

-- Lays out rows of cells as aligned columns separated by two spaces.
function M.align(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for index, cell in ipairs(row) do
      widths[index] = math.max(widths[index] or 0, vim.fn.strdisplaywidth(cell))
    end
  end
  local lines = {}
  for _, row in ipairs(rows) do
    local cells = {}
    for index, cell in ipairs(row) do
      local pad = ''
      if index < #row then
        pad = string.rep(' ', widths[index] - vim.fn.strdisplaywidth(cell))
      end
      table.insert(cells, cell .. pad)
    end
    table.insert(lines, (table.concat(cells, '  '):gsub('%s+$', '')))
  end
  return lines
end

-- The columns of one section ('params' or 'metrics') over every row: file and
-- key pairs, in file then key order.
local function section_columns(rows, section)
  local by_file = {}
  for _, row in ipairs(rows) do
    for file, values in pairs(type(row[section]) == 'table' and row[section] or {}) do
      by_file[file] = by_file[file] or {}
      for key in pairs(type(values) == 'table' and values or {}) do
        by_file[file][key] = true
      end
    end
  end
  local files = sorted_keys(by_file)
  local columns = {}
  for _, file in ipairs(files) do
    for _, key in ipairs(sorted_keys(by_file[file])) do
      -- The file name is shown only when there is more than one file.
      local title = key
      if #files > 1 then
        title = file .. ':' .. key
      end
      table.insert(columns, { section = section, file = file, key = key, title = title })
    end
  end
  return columns
end

-- Fields of a row shown as their own columns besides name, params and metrics
-- (such as a queued or failed state), found in the data itself.
local function extra_columns(rows)
  local skip = { rev = true, name = true, params = true, metrics = true }
  local found = {}
  for _, row in ipairs(rows) do
    for key, value in pairs(row) do
      if not skip[key] and is_scalar(value) then
        found[key] = true
      end
    end
  end
  return sorted_keys(found)
end

-- A full commit id (such as an experiment's baseline) as its first 7 digits.
local function short_commit(value)
  if #value == 40 and value:match('^%x+$') then
    return value:sub(1, 7)
  end
  return value
end

local function row_label(row)
  local name = row.name
  if name ~= nil and name ~= vim.NIL and name ~= '' then
    return name
  end
  return short_commit(text(row.rev))
end

-- The experiments table as lines, and the row shown on each line (by line
-- number) so that buffer mappings can act on the row under the cursor.
function M.experiments_lines(result)
  local rows = (type(result) == 'table' and result.rows) or {}
  local params = section_columns(rows, 'params')
  local metrics = section_columns(rows, 'metrics')
  local extras = extra_columns(rows)
  local header = { 'Experiment' }
  for _, key in ipairs(extras) do
    table.insert(header, key)
  end
  for _, column in ipairs(metrics) do
    table.insert(header, column.title)
  end
  for _, column in ipairs(params) do
    table.insert(header, column.title)
  end
  local cells = { header }
  for _, row in ipairs(rows) do
    local line = { row_label(row) }
    for _, key in ipairs(extras) do
      table.insert(line, short_commit(text(row[key])))
    end
    for _, column in ipairs(metrics) do
      local values = (row.metrics or {})[column.file] or {}
      table.insert(line, text(values[column.key]))
    end
    for _, column in ipairs(params) do
      local values = (row.params or {})[column.file] or {}
      table.insert(line, text(values[column.key]))
    end
    table.insert(cells, line)
  end
  local lines = M.align(cells)
  local row_at = {}
  for index, row in ipairs(rows) do
    row_at[index + 1] = row
  end
  if result and result.experiments_available == false then
    table.insert(lines, '')
    table.insert(lines, 'No experiments listed: the project is outside a git repository, or this server build has no experiments.')
  end
  return lines, row_at
end

-- A diff (data of `retort.exp.diff`) as lines: one per changed value.
function M.diff_lines(data)
  local cells = { { 'Path', 'Key', 'Old', 'New', 'Change' } }
  for _, section in ipairs({ 'params', 'metrics' }) do
    local by_file = (type(data) == 'table' and data[section]) or {}
    for _, file in ipairs(sorted_keys(by_file)) do
      local entries = by_file[file]
      for _, key in ipairs(sorted_keys(entries)) do
        local entry = entries[key]
        table.insert(cells, { file, key, text(entry.old), text(entry.new), text(entry.diff) })
      end
    end
  end
  local lines = M.align(cells)
  if #cells == 1 then
    lines = { string.format('No params or metrics changed since %s.', text(data and data.revision)) }
  else
    table.insert(lines, 1, string.format('Workspace against %s (%s)', text(data.revision), text(data.commit)))
    table.insert(lines, 2, '')
  end
  return lines
end

-- Shows `lines` in the scratch buffer called `name` (reused when open), in a
-- split or a float as configured. Returns the buffer number.
function M.show(name, lines, filetype)
  local bufnr = vim.fn.bufnr(name)
  if bufnr == -1 then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, name)
    vim.bo[bufnr].bufhidden = 'hide'
    vim.bo[bufnr].swapfile = false
    vim.api.nvim_buf_set_keymap(bufnr, 'n', 'q', '<Cmd>close<CR>', { noremap = true, silent = true })
  end
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].filetype = filetype
  if vim.fn.bufwinid(bufnr) ~= -1 then
    return bufnr
  end
  if config.current.view == 'float' then
    local width = 20
    for _, line in ipairs(lines) do
      width = math.max(width, vim.fn.strdisplaywidth(line))
    end
    width = math.min(width + 2, vim.o.columns - 4)
    local height = math.min(#lines, math.max(vim.o.lines - 6, 1))
    vim.api.nvim_open_win(bufnr, true, {
      relative = 'editor',
      width = width,
      height = height,
      row = math.floor((vim.o.lines - height) / 2),
      col = math.floor((vim.o.columns - width) / 2),
      style = 'minimal',
      border = 'rounded',
    })
  else
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, bufnr)
    vim.api.nvim_win_set_height(0, math.min(#lines + 1, math.max(math.floor(vim.o.lines / 2), 3)))
  end
  vim.wo.wrap = false
  return bufnr
end

return M
