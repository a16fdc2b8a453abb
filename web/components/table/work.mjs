// Runs a generator (model.mjs's sort, filter, CSV) in time slices: steps until
// `budget` ms have passed, then gives the browser a turn (input, paint) and
// goes on. A newer job of the same Worker cancels the older one, so typing
// in the filter box never queues stale work.
//
// Contract: run(gen) resolves with the generator's return value, or with
// CANCELLED when a later run() or cancel() replaced it; never rejects unless
// the generator throws.

export const CANCELLED = Symbol('cancelled');

// A macrotask, not a microtask: the browser may handle input and paint in
// between. MessageChannel is not clamped to 4 ms as nested setTimeout is.
function nextTask() {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { ch.port1.close(); resolve(); };
    ch.port2.postMessage(0);
  });
}

export class SlicedWork {
  constructor({ budget = 12, now = () => performance.now(), yieldTurn = nextTask } = {}) {
    this.budget = budget;
    this.now = now;
    this.yieldTurn = yieldTurn;
    this.generation = 0;
  }

  cancel() {
    this.generation++;
  }

  async run(gen) {
    const mine = ++this.generation;
    let start = this.now();
    for (;;) {
      const step = gen.next();
      if (step.done) return step.value;
      if (this.now() - start >= this.budget) {
        await this.yieldTurn();
        if (mine !== this.generation) return CANCELLED;
        start = this.now();
      }
    }
  }
}
