-- Hovers a params key in dvc.yaml and in params.yaml, and lists the lenses of
-- params.yaml, to show that the server serves both kinds of file.
local h = dofile(os.getenv('RETORT_NVIM_TESTS') .. '/harness.lua')

local function hover(bufnr, line, character)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = line, character = character },
  }
  local answers = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, 10000) or {}
  local texts = {}
  for _, answer in pairs(answers) do
    table.insert(texts, h.hover_text(answer.result))
  end
  return table.concat(texts, '\n')
end

h.run(function()
  h.setup()
  local pipeline = vim.api.nvim_get_current_buf()
  h.attached(pipeline)
  local line, column = h.find(pipeline, 'train%.lr')
  local in_pipeline = hover(pipeline, line, column + 7)

  vim.cmd('edit params.yaml')
  local params = vim.api.nvim_get_current_buf()
  h.attached(params)
  local key_line, key_column = h.find(params, 'lr:')
  local in_params = hover(params, key_line, key_column)
  local lenses = vim.lsp.buf_request_sync(
    params,
    'textDocument/codeLens',
    { textDocument = { uri = vim.uri_from_bufnr(params) } },
    10000
  ) or {}
  local titles = {}
  for _, answer in pairs(lenses) do
    for _, lens in ipairs(answer.result or {}) do
      table.insert(titles, lens.command and lens.command.title or '')
    end
  end
  return { pipeline_hover = in_pipeline, params_hover = in_params, params_lenses = titles }
end)
