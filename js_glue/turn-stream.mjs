// TurnStream: the public events of one turn as an async iterable, fed by
// push() and ended by end() or by its turn_done. `result` resolves with the
// last event (turn_done, or the error that refused the turn). Leaving a
// for-await early stops listening; the turn itself goes on (Session.cancel()
// stops it). Used by the Session (createSession's and the CLI's turns) and by
// the embed client (web/embed/embed-client.mjs).

export class TurnStream {
  constructor() {
    this.buffer = [];
    this.waiters = [];
    this.execs = new Set(); // exec_ids of the runs this turn started
    this.ended = false;
    this.error = null; // {code, message, detail} when the turn was refused
    this.result = new Promise((resolve) => { this.resolveResult = resolve; });
    this.onEnd = () => {}; // the owner's clean-up (timers, a table of turns)
  }

  push(event) {
    if (this.ended) return;
    this.last = event;
    const waiter = this.waiters.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.buffer.push(event);
    if (event?.type === 'turn_done') this.end();
  }

  /** Ends the turn with one `error` event: error is {code, message, detail?}. */
  fail(error) {
    this.error = error;
    this.push({ type: 'error', error: { kind: error.code, type: error.code, ...error } });
    this.end();
  }

  end() {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    this.resolveResult(this.last ?? null);
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return {
      next: () => {
        if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift(), done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: () => {
        this.buffer.length = 0;
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
