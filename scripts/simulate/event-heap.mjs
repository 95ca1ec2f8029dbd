// The discrete-event queue: a binary min-heap of events ordered by time. Ties go in insertion order
// (the `s` sequence number) so that two events at the same millisecond always run in the same order
// and the model stays deterministic run after run.
export class EventHeap {
  constructor() {
    this.items = [];
    this.seq = 0;
  }
  /** Schedules `fn(t, a, b)` at time `t` (ms). */
  push(t, fn, a, b) {
    const item = { t, s: this.seq++, fn, a, b };
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].t < t || (h[p].t === t && h[p].s < item.s)) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = item;
  }
  pop() {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && (h[r].t < h[l].t || (h[r].t === h[l].t && h[r].s < h[l].s)) ? r : l;
        if (h[c].t > last.t || (h[c].t === last.t && h[c].s > last.s)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
  get size() {
    return this.items.length;
  }
}
