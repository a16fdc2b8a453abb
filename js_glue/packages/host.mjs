// PackageHost: the host's side of a run's package request (issue 14). One
// per conversation (consent and the installed list are the conversation's).
//
//   request (from the runner): { kind: 'pip'|'import', requirements, installed: {key: version},
//                                runtime: {python}, lock: {info, packages} }
//   handle(request) → { ok: true, lock: [names], wheels: [{filename, bytes, name, version, kind, sha256}], already }
//                   | { ok: false, error: {code, message, detail} }
//
// Steps: the deployment's policy (config.json packages: indexes, allow,
// deny) → resolve (resolve.mjs; no I/O of its own) → consent for wheels
// from an index not yet allowed in this conversation (ask(), answered by
// the user; names in `allow` need none) → fetch each wheel and check its
// sha256 (index-client.mjs) → hand the bytes to the runner. What was
// installed is kept (record) so a restarted or reloaded sandbox gets it
// back without asking (restoreWheels).

import { resolve, PackageProblem, PACKAGE_ERRORS } from './resolve.mjs';
import { createIndexClient } from './index-client.mjs';
import { pyodideEnvironment } from './pep508.mjs';
import { normalizeName, indexURL, packagesPolicy, packageOrigins, localPackageStore } from './policy.mjs';

export { packagesPolicy, packageOrigins, localPackageStore };
import { runtimeTags } from './wheel-tags.mjs';

export class PackageHost {
  /**
   * @param {object} o
   * @param {{indexes, allow, deny}} o.policy   packagesPolicy(config.packages)
   * @param {(question) => Promise<{allow: boolean, forConversation?: boolean}>} [o.ask]
   *        question: {request_id, kind, packages: [{name, version, size, index}], imports?}. Without ask: declined.
   * @param {typeof fetch} [o.fetch]
   * @param {{get, put, delete}} [o.cache]  verified wheels kept across pages (index-client.mjs cacheStorageWheels)
   * @param {(record) => void} [o.onChange]  the installed list changed (persist it with the conversation)
   * @param {{installed?: object[], allowedIndexes?: string[]}} [o.state]  what an earlier page kept
   */
  constructor({ policy, ask = null, fetch: fetchImpl, cache = null, onChange = null, state = {} }) {
    this.policy = policy ?? packagesPolicy({});
    this.ask = ask;
    this.onChange = onChange;
    this.client = createIndexClient({ indexes: this.policy.indexes, fetch: fetchImpl, cache });
    this.installed = [...(state.installed ?? [])];
    this.allowedIndexes = new Set(state.allowedIndexes ?? []);
    this.nextQuestion = 1;
    this.timings = []; // {consent_at, installed_at} for the bench/closing note
  }

  get state() { return { installed: this.installed, allowedIndexes: [...this.allowedIndexes] }; }

  check(key, name) {
    const { deny, allow, indexes } = this.policy;
    if (deny.includes('*') || deny.includes(key)) {
      return { code: PACKAGE_ERRORS.DENIED, message: `${name} is not allowed in this deployment (config.json packages.deny); ask whoever runs this app, or do without it.` };
    }
    if (!indexes.length) {
      return { code: PACKAGE_ERRORS.NOT_FOUND, message: `${name} is not in this sandbox's package list, and no package index is configured (config.json packages.indexes), so it cannot be installed.` };
    }
    if (allow.length && !allow.includes('*') && !allow.includes(key)) {
      return { code: PACKAGE_ERRORS.DENIED, message: `${name} is not among the packages this deployment allows (config.json packages.allow).` };
    }
    return null;
  }

  async handle(request) {
    const lock = request.lock ?? {};
    const policyFor = { check: (key, name) => (lock.packages?.[key] ? null : this.check(key, name)) };
    // Names of the lock file never need an index (policy applies to index names only).
    const result = await resolve({
      requirements: request.requirements ?? [],
      env: pyodideEnvironment({ python: lock.info?.python ?? request.runtime?.python }),
      tags: runtimeTags({ ...lock.info, python: lock.info?.python ?? request.runtime?.python }),
      lock,
      installed: request.installed ?? {},
      index: this.client,
      policy: policyFor,
    });
    if (!result.ok) return result;
    const { plan } = result;
    if (!plan.wheels.length) return { ok: true, lock: plan.lock, wheels: [], already: plan.already };

    const unasked = plan.wheels.filter((w) => !this.allowedIndexes.has(w.index) && !this.policy.allow.includes(w.key) && !this.policy.allow.includes('*'));
    if (unasked.length) {
      const question = {
        request_id: `pkg-${this.nextQuestion++}`,
        kind: request.kind ?? 'pip',
        requested: request.requirements ?? [],
        packages: plan.wheels.map((w) => ({ name: w.name, version: w.version, size: w.size, index: w.index, filename: w.filename })),
      };
      let answer = { allow: false };
      try { answer = this.ask ? await this.ask(question) : { allow: false }; } catch { answer = { allow: false }; }
      if (!answer?.allow) {
        const names = plan.wheels.map((w) => `${w.name} ${w.version}`).join(', ');
        return {
          ok: false,
          error: {
            code: PACKAGE_ERRORS.DECLINED,
            message: `Not installed: the user declined ${names} from ${[...new Set(plan.wheels.map((w) => w.index))].join(', ')}. Do without ${plan.wheels.length > 1 ? 'them' : 'it'}, or ask the user to allow the install.`,
            detail: { package: plan.wheels[plan.wheels.length - 1].name },
          },
        };
      }
      if (answer.forConversation) for (const w of plan.wheels) this.allowedIndexes.add(w.index);
    }
    const consentAt = Date.now();
    const wheels = [];
    try {
      for (const w of plan.wheels) {
        const bytes = await this.client.wheel(w);
        wheels.push({ filename: w.filename, bytes: bytes.slice(0), name: w.name, version: w.version, kind: w.kind, sha256: w.sha256 });
      }
    } catch (error) {
      if (error instanceof PackageProblem) return { ok: false, error: error.toJSON() };
      throw error;
    }
    for (const w of plan.wheels) {
      if (!this.installed.some((r) => r.sha256 === w.sha256)) {
        this.installed.push({ name: w.name, version: w.version, filename: w.filename, url: w.url, sha256: w.sha256, size: w.size, index: w.index, kind: w.kind });
      }
    }
    this.timings.push({ consent_at: consentAt, fetched_at: Date.now(), wheels: wheels.length });
    try { this.onChange?.(this.state); } catch (error) { console.error(error); }
    return { ok: true, lock: plan.lock, wheels, already: plan.already };
  }

  /** The kept wheels' bytes (checked again), for a new sandbox: [{filename, bytes, kind, name, version}] or a PackageProblem thrown. */
  async restoreWheels() {
    const out = [];
    for (const r of this.installed) {
      const bytes = await this.client.wheel(r);
      out.push({ filename: r.filename, bytes: bytes.slice(0), kind: r.kind, name: r.name, version: r.version });
    }
    return out;
  }

  /** 'name version' of what this conversation installed (for the system prompt). */
  get names() { return this.installed.map((r) => `${r.name} ${r.version}`); }
}
