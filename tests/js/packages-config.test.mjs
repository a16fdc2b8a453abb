// A deployment's package settings (config.json `packages`, issue 14): read
// and cleaned by the app's config loader, turned into the host's policy, and
// the page's connect-src names exactly the configured indexes and their
// file origins, nothing else.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadAppConfig } from '../../web/app/config.mjs';
import { packagesPolicy, packageOrigins, PackageHost } from '../../js_glue/packages/host.mjs';
import { connectPolicyText } from '../../web/app/csp.mjs';

const BASE = 'https://app.example/ci/';
const fakeFetch = (json) => async () => new Response(JSON.stringify(json), { status: 200 });

test('config.json packages: indexes (URL or {url, files}), allow, deny; bad entries left out; none = off', async () => {
  const config = await loadAppConfig(BASE, fakeFetch({
    packages: {
      indexes: ['https://pypi.org/simple/', { url: 'mirror/simple/', files: ['https://files.example/x/y'] }, { url: 'http://[bad' }, 42],
      allow: ['Requests', 7], deny: ['evil_pkg'],
    },
  }));
  assert.deepEqual(config.packages, {
    indexes: [{ url: 'https://pypi.org/simple/', files: [] }, { url: 'https://app.example/ci/mirror/simple/', files: ['https://files.example'] }],
    allow: ['Requests'], deny: ['evil_pkg'],
  });
  const policy = packagesPolicy(config.packages);
  assert.deepEqual(policy.indexes, ['https://pypi.org/simple/', 'https://app.example/ci/mirror/simple/']);
  assert.deepEqual(policy.allow, ['requests']);
  assert.deepEqual(policy.deny, ['evil-pkg']);
  const csp = connectPolicyText(['https://llm.example/v1', ...packageOrigins(config.packages)], BASE);
  assert.equal(csp, "connect-src 'self' https://llm.example https://pypi.org https://app.example https://files.example");

  const off = await loadAppConfig(BASE, fakeFetch({}));
  assert.deepEqual(off.packages.indexes, []);
  assert.deepEqual(packageOrigins(off.packages), []);
});

test('policy: a denied name is an error, never a question; allow needs none; no index: nothing from an index', () => {
  const host = new PackageHost({ policy: packagesPolicy({ indexes: ['https://i.example/simple/'], deny: ['bad'] }) });
  assert.equal(host.check('bad', 'Bad').code, 'denied');
  assert.match(host.check('bad', 'Bad').message, /Bad is not allowed in this deployment \(config.json packages.deny\)/);
  assert.equal(host.check('good', 'good'), null);
  const only = new PackageHost({ policy: packagesPolicy({ indexes: ['https://i.example/simple/'], allow: ['one'] }) });
  assert.equal(only.check('two', 'two').code, 'denied');
  const none = new PackageHost({ policy: packagesPolicy({}) });
  assert.match(none.check('x', 'x').message, /no package index is configured/);
  const all = new PackageHost({ policy: packagesPolicy({ indexes: ['https://i.example/simple/'], deny: ['*'] }) });
  assert.equal(all.check('x', 'x').code, 'denied');
});
