-- ShapeLens's standalone server (`server.js --stdio`) as Neovim 0.7's built-in LSP client sees it:
-- diagnostics with codes, hover, inlay hints and code lenses (raw requests: 0.7 has no UI for them),
-- and the quick fix applied to the buffer, after which the error must go away.
-- Usage: SHAPELENS_SERVER=out/server/server.js nvim --headless --clean -u NONE -i NONE -n -c "luafile lsp-check.lua" cifar_wrong_fc.py
-- Exits 0 when every check passes, 1 otherwise.
local server = assert(os.getenv('SHAPELENS_SERVER'), 'set SHAPELENS_SERVER to out/server/server.js')
local node = os.getenv('SHAPELENS_NODE') or 'node'
local t0 = vim.loop.hrtime()
local failures = 0

local function say(s) io.stdout:write(s .. '\n') end
local function check(ok, what, detail)
  if ok then
    say(string.format('  ok   %s (%d ms)', what, (vim.loop.hrtime() - t0) / 1e6))
  else
    failures = failures + 1
    say('  FAIL ' .. what .. (detail and (': ' .. detail) or ''))
  end
  return ok
end

local bufnr = vim.api.nvim_get_current_buf()
local uri = vim.uri_from_bufnr(bufnr)
local function line_of(needle)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if l:find(needle, 1, true) then return i - 1 end
  end
  error('no line contains ' .. needle)
end

-- Keep the raw published diagnostics (with `data`, which the quick fix request needs back).
local published = nil
local client_id = vim.lsp.start_client({
  name = 'shapelens',
  cmd = { node, server, '--stdio' },
  root_dir = vim.fn.getcwd(),
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
      if result.uri == uri then published = result.diagnostics end
      return vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
    end,
  },
})

local function request(method, params, timeout)
  local res, err = vim.lsp.buf_request_sync(bufnr, method, params, timeout or 10000)
  if not res then return nil, err end
  for _, r in pairs(res) do
    if r.err then return nil, vim.inspect(r.err) end
    return r.result
  end
end

local function with_code(code)
  for _, d in ipairs(published or {}) do
    if d.code == code then return d end
  end
end

local function labels_on(hints, line)
  local out = {}
  for _, h in ipairs(hints or {}) do
    if h.position.line == line then
      table.insert(out, type(h.label) == 'string' and h.label or vim.inspect(h.label))
    end
  end
  return table.concat(out, ' | ')
end

local function lens_title(lenses)
  for _, l in ipairs(lenses or {}) do
    if l.range.start.line == line_of('class Net(nn.Module)') and l.command then return l.command.title end
  end
  return ''
end

local whole = { start = { line = 0, character = 0 }, ['end'] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 } }

local function main()
  if not check(client_id ~= nil, 'the server starts') then return end
  vim.lsp.buf_attach_client(bufnr, client_id)
  local up = vim.wait(30000, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized == true
  end, 50)
  if not check(up, 'initialize') then return end

  -- Diagnostics: the Linear error at the call of fc1, also in vim.diagnostic (the client's own view).
  local fc1_call = line_of('x = F.relu(self.fc1(x))')
  local diag = nil
  vim.wait(60000, function() diag = with_code('linear-in-features'); return diag ~= nil end, 100)
  if check(diag ~= nil, 'diagnostic linear-in-features', vim.inspect(published)) then
    check(diag.range.start.line == fc1_call and diag.severity == 1, 'the error is on the fc1 call line', vim.inspect(diag.range))
    check(diag.message:find('expects in_features=256, but its input [N, 400] has 400 features', 1, true) ~= nil, 'the message says what arrives', diag.message)
    local shown = vim.diagnostic.get(bufnr, { lnum = fc1_call, severity = vim.diagnostic.severity.ERROR })
    check(#shown == 1, 'vim.diagnostic has the error on that line', vim.inspect(shown))
  end

  -- Hover on the call of conv1 (the first one may be empty while the server analyses: retry).
  local conv1 = line_of('self.conv1(x)')
  local col = vim.api.nvim_buf_get_lines(bufnr, conv1, conv1 + 1, false)[1]:find('conv1', 1, true)
  local hover = ''
  vim.wait(30000, function()
    local r = request('textDocument/hover', { textDocument = { uri = uri }, position = { line = conv1, character = col } })
    hover = (r and r.contents and r.contents.value) or ''
    return hover:find('conv1', 1, true) ~= nil
  end, 200)
  check(hover:find('H′ = ⌊(32 + 2·0 − 1·(5−1) − 1)/1⌋ + 1 = 28', 1, true) ~= nil, 'hover shows the output-size arithmetic', hover)
  check(hover:find('456 params = weight 6×3×5×5 (450) + bias 6', 1, true) ~= nil, 'hover shows the parameter breakdown', hover)

  local hints = request('textDocument/inlayHint', { textDocument = { uri = uri }, range = whole })
  check(labels_on(hints, conv1) == '→ [N, 6, 14, 14]', 'inlay hint after the conv1 statement', labels_on(hints, conv1))
  local lens = lens_title(request('textDocument/codeLens', { textDocument = { uri = uri } }))
  check(lens:find('44,726 params', 1, true) == 1, 'code lens with the parameter count', lens)

  -- Quick fix: ask for the actions of the raw diagnostic, apply the edit to the buffer.
  if not diag then return end
  local actions = request('textDocument/codeAction', { textDocument = { uri = uri }, range = diag.range, context = { diagnostics = { diag } } }) or {}
  local fix = nil
  for _, a in ipairs(actions) do
    if a.title == 'Set in_features to 400' then fix = a end
  end
  if not check(fix ~= nil and fix.edit ~= nil, 'quick fix "Set in_features to 400" offered', vim.inspect(actions)) then return end
  vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
  local fc1 = line_of('self.fc1 = nn.Linear(')
  local text = vim.api.nvim_buf_get_lines(bufnr, fc1, fc1 + 1, false)[1]
  check(text == '        self.fc1 = nn.Linear(400, 120)', 'the edit changes only in_features', text)

  -- The buffer change reaches the server (didChange); the error goes and the model runs to the end.
  check(vim.wait(60000, function() return published ~= nil and with_code('linear-in-features') == nil end, 100), 'the error disappears after the fix', vim.inspect(published))
  local fc3 = line_of('x = self.fc3(x)')
  local after = ''
  vim.wait(30000, function()
    after = labels_on(request('textDocument/inlayHint', { textDocument = { uri = uri }, range = whole }), fc3)
    return after ~= ''
  end, 200)
  check(after == '→ [N, 10]', 'inlay hint after fc3 once fixed', after)
  lens = lens_title(request('textDocument/codeLens', { textDocument = { uri = uri } }))
  check(lens:find('62,006 params · [N, 3, 32, 32] → [N, 10]', 1, true) == 1, 'code lens of the fixed model', lens)
end

local ok, err = pcall(main)
if not ok then check(false, 'the check script ran', tostring(err)) end
if client_id then vim.lsp.stop_client(client_id) end
say(failures == 0 and 'nvim: all checks passed' or string.format('nvim: %d check(s) failed', failures))
vim.cmd(failures == 0 and 'qa!' or 'cquit 1')
