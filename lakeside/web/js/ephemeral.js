// A bot's answers meant for one person (command.replied): shown in that conversation's timeline,
// to the invoker alone, as Slack's "only visible to you" lines. They are never stored: they last
// while the page is open (a reload forgets them, as the server keeps no copy) and can be dismissed.

import { emit, on } from "./store.js";

const notes = new Map(); // conversation id -> [{id, at, botId, command, text}]
let listening = false;
let counter = 0;

/** The notes shown in a conversation now, oldest first. */
export function notesOf(conversationId) {
  return notes.get(conversationId) || [];
}

export function dismissNote(conversationId, id) {
  const left = notesOf(conversationId).filter((note) => note.id !== id);
  if (left.length) notes.set(conversationId, left);
  else notes.delete(conversationId);
  emit(`ephemeral:${conversationId}`);
}

/** Once per page: collect the answers that arrive over the socket. */
export function listenForNotes() {
  if (listening) return;
  listening = true;
  on("event:command", (event) => {
    if (event.op !== "replied") return;
    const data = event.data;
    counter += 1;
    const note = { id: counter, at: Date.now(), botId: data.bot_id, command: data.command, text: data.text };
    notes.set(data.conversation_id, [...notesOf(data.conversation_id), note]);
    emit(`ephemeral:${data.conversation_id}`, note);
    emit("ephemeral", { conversationId: data.conversation_id, note });
  });
}
