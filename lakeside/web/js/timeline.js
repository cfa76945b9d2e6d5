// One conversation's messages as the client holds them: a contiguous run of confirmed messages
// (by sequence number, from the oldest page loaded up to the newest), plus the caller's pending
// sends (the outbox's). Server events and HTTP pages merge into it idempotently, so a message
// that arrives both ways (or twice) shows once; and a pending send shows until the message comes
// back by any way (the ack, the live event, a catch-up, a history page), never beside it. Also
// keeps the "N unread" receipts of the caller's own messages.

import { api } from "./api.js";
import { emit, state } from "./store.js";

const PAGE = 50;
const RECEIPT_FETCHES_AT_ONCE = 3;

const timelines = new Map();

export function timeline(conversationId) {
  let found = timelines.get(conversationId);
  if (!found) {
    found = new Timeline(conversationId);
    timelines.set(conversationId, found);
  }
  return found;
}

export function existingTimeline(conversationId) {
  return timelines.get(conversationId) || null;
}

/** Forget everything loaded (log out, or the server no longer has our position). */
export function resetTimelines({ keepPending = false } = {}) {
  for (const [id, line] of timelines) {
    if (keepPending && line.pending.size) {
      line.forgetConfirmed();
    } else {
      timelines.delete(id);
    }
  }
}

export class Timeline {
  constructor(conversationId) {
    this.id = conversationId;
    this.bySeq = new Map();
    this.pending = new Map(); // client_msg_id -> the caller's message not yet confirmed
    this.loaded = false;
    this.loading = null;
    this.hasMoreBefore = true;
    this.olderLoading = null;
    this.buffered = []; // events that arrived while the first page was on its way
    this.receipts = new Map(); // message id -> {unread: Set, complete, inFlight, missed: []}
    this.receiptQueue = [];
    this.receiptWorkers = 0;
  }

  forgetConfirmed() {
    this.bySeq.clear();
    this.receipts.clear();
    this.loaded = false;
    this.loading = null;
    this.hasMoreBefore = true;
  }

  /** Confirmed messages in order, then pending ones in the order they were written. */
  list() {
    const confirmed = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    if (!this.pending.size) return confirmed;
    const stored = new Set(); // our own messages' ids: a pending copy of one of them is not shown
    for (const message of confirmed) {
      if (message.client_msg_id && state.me && message.sender_id === state.me.id) stored.add(message.client_msg_id);
    }
    const pending = [...this.pending.values()]
      .filter((message) => !stored.has(message.client_msg_id))
      .sort((a, b) => a.created_at - b.created_at);
    return confirmed.concat(pending);
  }

  oldestSeq() {
    let oldest = Infinity;
    for (const seq of this.bySeq.keys()) oldest = Math.min(oldest, seq);
    return oldest;
  }

  findById(id) {
    for (const message of this.bySeq.values()) if (message.id === id) return message;
    return null;
  }

  changed(kind, extra = {}) {
    emit(`timeline:${this.id}`, { kind, ...extra });
  }

  loadLatest() {
    if (this.loaded) return Promise.resolve();
    if (!this.loading) {
      this.loading = api
        .get(`/conversations/${this.id}/messages`, { limit: PAGE })
        .then((page) => {
          for (const message of page.messages) {
            this.bySeq.set(message.seq, message);
            this.confirmPending(message);
          }
          this.hasMoreBefore = page.has_more;
          this.loaded = true;
          this.loading = null;
          const buffered = this.buffered;
          this.buffered = [];
          for (const apply of buffered) apply();
          this.wantReceipts(page.messages);
          this.changed("reset");
        })
        .catch((error) => {
          this.loading = null;
          throw error;
        });
    }
    return this.loading;
  }

  loadOlder() {
    if (!this.loaded || !this.hasMoreBefore) return Promise.resolve(false);
    if (!this.olderLoading) {
      const before = this.oldestSeq();
      this.olderLoading = api
        .get(`/conversations/${this.id}/messages`, { limit: PAGE, before_seq: before })
        .then((page) => {
          for (const message of page.messages) {
            if (!this.bySeq.has(message.seq)) this.bySeq.set(message.seq, message);
            this.confirmPending(message);
          }
          this.hasMoreBefore = page.has_more;
          this.olderLoading = null;
          this.wantReceipts(page.messages);
          this.changed("older");
          return page.messages.length > 0;
        })
        .catch((error) => {
          this.olderLoading = null;
          throw error;
        });
    }
    return this.olderLoading;
  }

  /** Page back until `seq` is loaded (a search hit, a quoted message); false if it never came. */
  async loadUntil(seq) {
    await this.loadLatest();
    for (let pages = 0; pages < 40 && this.oldestSeq() > seq && this.hasMoreBefore; pages += 1) {
      await this.loadOlder();
    }
    return this.oldestSeq() <= seq;
  }

  /** Run now if loaded; hold until the first page lands if it is on its way; else nothing to do. */
  whenLoaded(apply) {
    if (this.loaded) apply();
    else if (this.loading) this.buffered.push(apply);
  }

  // -- messages from the server -------------------------------------------------------------------

  /** A message as the server has it now (created, edited or recalled). */
  applyMessage(message) {
    this.confirmPending(message);
    this.whenLoaded(() => {
      const known = this.bySeq.get(message.seq);
      if (!known && this.hasMoreBefore && message.seq < this.oldestSeq()) return; // would leave a gap
      const merged = known ? keepReceipt(known, message) : message;
      this.bySeq.set(message.seq, merged);
      if (!known) this.wantReceipts([merged]);
      this.changed(known ? "update" : "append", { message: merged });
    });
  }

  confirmPending(message) {
    if (!message.client_msg_id || !state.me || message.sender_id !== state.me.id) return;
    const pending = this.pending.get(message.client_msg_id);
    if (!pending) return;
    this.pending.delete(message.client_msg_id);
    emit("own-confirmed", message); // the outbox lets go of it
    if (!this.loaded) this.changed("update");
  }

  /** A voice message you played (here or on another device): its red dot goes. */
  applyPlayed(messageId) {
    this.whenLoaded(() => {
      const message = this.findById(messageId);
      if (!message || message.played === true) return;
      message.played = true;
      this.changed("update", { message });
    });
  }

  applyReactions(messageId, reactions) {
    this.whenLoaded(() => {
      const message = this.findById(messageId);
      if (!message) return;
      message.reactions = reactions;
      this.changed("update", { message });
    });
  }

  // -- pending sends ----------------------------------------------------------------------------

  addPending(message) {
    this.pending.set(message.client_msg_id, message);
    this.changed("append", { message });
  }

  updatePending(message) {
    if (this.pending.has(message.client_msg_id)) this.changed("update", { message });
  }

  // -- read receipts ----------------------------------------------------------------------------

  /** Someone's read cursor moved: own messages they have now read lose one unread. */
  applyReceipt(userId, readSeq) {
    this.whenLoaded(() => {
      let touched = false;
      for (const message of this.bySeq.values()) {
        if (!isOwnCountable(message) || message.seq > readSeq || !(message.unread_count > 0)) continue;
        const receipt = this.receipts.get(message.id);
        if (receipt && receipt.inFlight) {
          receipt.missed.push([userId, readSeq]);
        } else if (receipt && receipt.complete) {
          if (receipt.unread.delete(userId)) {
            message.unread_count = receipt.unread.size;
            touched = true;
          }
        } else {
          this.queueReceipts(message);
        }
      }
      if (touched) this.changed("receipts");
    });
  }

  /** Own group messages whose count the server did not send (a send's reply, a live event
   * carry none; history does) are asked for, a few at a time. */
  wantReceipts(messages) {
    const conversation = state.conversations.get(this.id);
    if (!conversation || conversation.kind === "direct") return;
    for (const message of messages) {
      if (isOwnCountable(message) && typeof message.unread_count !== "number") this.queueReceipts(message);
    }
  }

  queueReceipts(message) {
    const receipt = this.receipts.get(message.id);
    if (receipt && (receipt.inFlight || receipt.queued)) return;
    this.receipts.set(message.id, { ...(receipt || {}), queued: true, missed: [] });
    this.receiptQueue.push(message);
    this.pumpReceipts();
  }

  pumpReceipts() {
    while (this.receiptWorkers < RECEIPT_FETCHES_AT_ONCE && this.receiptQueue.length) {
      const message = this.receiptQueue.shift();
      this.receiptWorkers += 1;
      this.fetchReceipts(message).finally(() => {
        this.receiptWorkers -= 1;
        this.pumpReceipts();
      });
    }
  }

  async fetchReceipts(message) {
    const receipt = { unread: new Set(), complete: false, inFlight: true, queued: false, missed: [] };
    this.receipts.set(message.id, receipt);
    try {
      const result = await api.get(`/messages/${message.id}/receipts`);
      receipt.unread = new Set(result.unread.map((user) => user.id));
      receipt.complete = result.unread.length === result.unread_count;
      let unread = result.unread_count;
      // Reads that arrived while the request was out may or may not be in its answer.
      for (const [userId, readSeq] of receipt.missed) {
        if (readSeq >= message.seq && receipt.unread.delete(userId)) unread -= 1;
      }
      const current = this.findById(message.id) || message; // an edit may have replaced it
      current.unread_count = receipt.complete ? receipt.unread.size : unread;
      current.read_count = result.read_count;
    } catch {
      this.receipts.delete(message.id);
      return;
    } finally {
      receipt.inFlight = false;
      receipt.missed = [];
    }
    this.changed("receipts");
  }
}

export function isOwnCountable(message) {
  return (
    state.me && message.sender_id === state.me.id && !message.recalled && message.kind !== "system" && !message.pending
  );
}

/** An edit or a reaction event carries no receipt count: keep the one we have. */
function keepReceipt(known, incoming) {
  // Events are the same for everyone: what is the reader's own (their "N unread", whether they
  // played a voice message) stays as the history page told it.
  if (known.played === true && incoming.played !== true) incoming = { ...incoming, played: true };
  if (typeof incoming.unread_count !== "number" && typeof known.unread_count === "number") {
    return { ...incoming, unread_count: known.unread_count, read_count: known.read_count };
  }
  return incoming;
}
