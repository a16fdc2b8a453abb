// The CLI with a package index (issue 14): --index names a local PEP 691
// index; --allow-packages is the consent (without it every install is
// declined, and the run says so).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../support/run-cli.mjs';
import { startIndexServer } from '../support/pep691-server.mjs';

test('cli run --index … --allow-packages: %pip install and the import work; without it they are declined', async (t) => {
  const index = await startIndexServer();
  t.after(() => index.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-cli-pk-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cell = path.join(dir, 'cell.py');
  fs.writeFileSync(cell, '%pip install ci-chain-a\nimport ci_chain_a\nprint(ci_chain_a.VALUE)\n');
  let r = await cli(['run', '--index', index.url, '--allow-packages', cell]);
  assert.equal(r.code, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1));
  assert.equal(line.status, 'ok', JSON.stringify(line));
  assert.match(line.stdout, /Installed ci-chain-c 1\.0\.0, ci-chain-b 1\.0\.0, ci-chain-a 1\.0\.0\na\+b\+c/);

  r = await cli(['run', '--index', index.url, cell]);
  const denied = JSON.parse(r.stdout.trim().split('\n').at(-1));
  assert.equal(denied.status, 'error');
  assert.match(JSON.stringify(denied), /declined ci-chain-c 1\.0\.0, ci-chain-b 1\.0\.0, ci-chain-a 1\.0\.0/);

  r = await cli(['run', '--allow-packages', cell]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--allow-packages needs an --index/);
});
