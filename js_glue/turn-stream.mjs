// TurnStream: the public events of one turn as an async iterable, fed by
// push() and ended by end(). `result` resolves with the last event (turn_done,
// or the error that refused the turn). Leaving a for-await early stops
// listening; the turn itself goes on (Session.cancel() stops it).

export class TurnStream {
  constructor() {
    this.buffer = [];
    this.waiters = [];
    this.execs = new Set(); // exec_ids of the runs this turn started
    this.ended = false;
    this.error = null; // {code, message, detail} when the turn was refused
    this.result = new Promise((resolve) => { this.resolveResult = resolve; });
  }

  push(event) {
    if (this.ended) return;
    this.last = event;
    const waiter = this.waiters.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.buffer.push(event);
  }

  /** Refuses the turn: one `error` event, then the end. */
  fail(error) {
    this.error = error;
    this.push({ type: 'error', error: { kind: error.code, type: error.code, ...error } });
    this.end();
  }

  end() {
    if (this.ended) return;
    this.ended = true;
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
