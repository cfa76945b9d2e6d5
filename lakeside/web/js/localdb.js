// What must outlive the page, kept on the device: the outbox (messages sent but not yet
// acknowledged, with any file not yet uploaded) in IndexedDB, which holds files; drafts in
// localStorage, written synchronously, so that a reload a moment after a keystroke still finds it.
//
// IndexedDB database "lakeside", version 1:
//   outbox   key n (auto-increment: the order they were written in)
//            indexes user_id, client_msg_id (unique)
//            {n, user_id, conversation_id, client_msg_id, kind, body, reply_to_id, reply_to,
//             file_id, file, blob, created_at, error}
// localStorage: "lakeside.draft.<user id>.<conversation id>" -> {text, updated_at, dirty}
//
// Everything carries the user id, so another account on the same browser never sees or sends it.
// Without IndexedDB (a browser that refuses it) its calls resolve empty: the app keeps working for
// the page's life, it only forgets on reload. Failures are logged as warnings, never thrown.

const NAME = "lakeside";
const VERSION = 1;

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve) => {
      let request;
      try {
        request = indexedDB.open(NAME, VERSION);
      } catch {
        resolve(null);
        return;
      }
      request.onupgradeneeded = () => {
        const db = request.result;
        const outbox = db.createObjectStore("outbox", { keyPath: "n", autoIncrement: true });
        outbox.createIndex("user_id", "user_id");
        outbox.createIndex("client_msg_id", "client_msg_id", { unique: true });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab opening a newer version: step aside (the next call opens again).
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        console.warn("IndexedDB unavailable: the outbox lasts only as long as the page");
        resolve(null);
      };
    });
  }
  return opening;
}

/** One transaction on one store; resolves with `work`'s request result once it is committed. */
async function run(storeName, mode, work, fallback) {
  const db = await open();
  if (!db) return fallback;
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      let result = fallback;
      const request = work(tx.objectStore(storeName));
      if (request) request.onsuccess = () => { result = request.result; };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } catch (error) {
    console.warn(`IndexedDB ${storeName}: ${error && error.name}`);
    return fallback;
  }
}

/** The outbox rows of one user, in the order they were written. */
export function outboxRows(userId) {
  return run("outbox", "readonly", (store) => store.index("user_id").getAll(userId), []).then(
    (rows) => rows.sort((a, b) => a.n - b.n),
  );
}

/** Insert or replace a row; resolves with its key `n` (null if it could not be kept). */
export function putOutbox(row) {
  return run("outbox", "readwrite", (store) => store.put(row), null);
}

export function deleteOutbox(n) {
  return run("outbox", "readwrite", (store) => store.delete(n));
}

const draftKey = (userId, conversationId) => `lakeside.draft.${userId}.${conversationId}`;

/** The user's drafts kept on this device: [conversation id, {text, updated_at, dirty}]. */
export function draftRows(userId) {
  const prefix = draftKey(userId, "");
  const rows = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith(prefix)) continue;
    try {
      const draft = JSON.parse(localStorage.getItem(key));
      if (typeof draft.text === "string" && typeof draft.updated_at === "number") {
        rows.push([Number(key.slice(prefix.length)), draft]);
      }
    } catch {
      // Not ours to read: left alone.
    }
  }
  return rows;
}

export function putDraft(userId, conversationId, draft) {
  try {
    localStorage.setItem(draftKey(userId, conversationId), JSON.stringify(draft));
  } catch (error) {
    console.warn(`draft not kept on this device: ${error && error.name}`);
  }
}

export function deleteDraft(userId, conversationId) {
  localStorage.removeItem(draftKey(userId, conversationId));
}

/** Forget the user's drafts on this device (they logged out, or its session was revoked). */
export function forgetDrafts(userId) {
  for (const [conversationId] of draftRows(userId)) deleteDraft(userId, conversationId);
}

/** Forget the user's outbox on this device. */
export function forgetOutbox(userId) {
  return run("outbox", "readwrite", (store) => {
    const walk = store.index("user_id").openCursor(IDBKeyRange.only(userId));
    walk.onsuccess = () => {
      if (!walk.result) return;
      walk.result.delete();
      walk.result.continue();
    };
    return null;
  });
}
