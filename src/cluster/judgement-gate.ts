import { NO_SEQ, type Message } from '../model/reading.js';

/** One message of a device: readings of one message share its time and seq. */
export const messageKey = (ts: number, seq: number | undefined): string => `${ts}/${seq ?? NO_SEQ}`;

/**
 * Holds back the judgement (rules, live analytics) of devices whose state is being rebuilt after
 * a takeover, while their partition is already consumed and committed here. A taken partition's
 * consumer starts right after the fence and the sequence state (what storing exactly once needs);
 * the rebuild of its devices (alarm timers, analytics windows, what the dead owner committed but
 * did not judge) runs meanwhile. What this node commits for those devices in the meantime waits
 * here, in commit order, and is judged right after the rebuild, so each device is judged in order.
 *
 * Exactly once, with the rebuild reading the same table the consumer is writing to: the rebuild
 * skips what is held here (committed and announced here), and what it read that was committed here
 * but announced only after it looked (a commit whose callback had not run yet) is dropped when it
 * arrives. Commits of a partition are in order, so those are a prefix of what arrives afterwards.
 */
export class JudgementGate {
  /** Devices being rebuilt -> their committed messages not yet judged, in commit order. */
  private readonly held = new Map<string, Message[]>();
  /** Rebuilt devices -> messages the rebuild read, until the first message it did not read arrives. */
  private readonly read = new Map<string, Set<string>>();

  /** From now on, the devices' committed messages wait for `release`. */
  hold(devices: Iterable<string>): void {
    for (const d of devices) {
      if (!this.held.has(d)) this.held.set(d, []);
      this.read.delete(d);
    }
  }

  holding(device: string): boolean {
    return this.held.has(device);
  }

  /** Committed messages: those to judge now, in order; the held devices' ones are kept back. */
  pass(messages: Message[]): Message[] {
    if (!this.held.size && !this.read.size) return messages;
    const out: Message[] = [];
    for (const m of messages) {
      const waiting = this.held.get(m.device);
      if (waiting) {
        waiting.push(m);
        continue;
      }
      const read = this.read.get(m.device);
      if (read) {
        if (read.has(messageKey(m.ts, m.seq))) continue; // the rebuild judged (or observed) it
        this.read.delete(m.device);
      }
      out.push(m);
    }
    return out;
  }

  /** Keys of the device's held messages: committed here, judged after the rebuild, so not by it. */
  heldKeys(device: string): Set<string> {
    return new Set((this.held.get(device) ?? []).map((m) => messageKey(m.ts, m.seq)));
  }

  /**
   * The devices are rebuilt: what they committed meanwhile, in order, to be judged next (call it in
   * the same synchronous step as the rebuild's last judgement). `read`: per device, the messages
   * the rebuild read from the store.
   */
  release(devices: Iterable<string>, read: Map<string, Set<string>>): Message[] {
    const out: Message[] = [];
    for (const d of devices) {
      const waiting = this.held.get(d);
      if (!waiting) continue;
      this.held.delete(d);
      const seen = read.get(d);
      for (const m of waiting) if (!seen?.has(messageKey(m.ts, m.seq))) out.push(m);
      if (seen?.size) this.read.set(d, seen);
    }
    return out;
  }

  /** The devices are not judged here after all (the partition is given back): what they hold is left to the next owner. */
  drop(devices: Iterable<string>): void {
    for (const d of devices) {
      this.held.delete(d);
      this.read.delete(d);
    }
  }
}
