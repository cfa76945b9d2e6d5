// English strings for forwarding (single, one by one, as chat history), chat-history transcripts
// and voice messages.
export default {
  // Forwarding
  "fwd.forward": "Forward",
  "fwd.select": "Select",
  "fwd.selected": "{n} selected",
  "fwd.oneByOne": "Forward one by one",
  "fwd.merged": "Forward as chat history",
  "fwd.pickTitle": "Forward to",
  "fwd.search": "Search chats",
  "fwd.comment": "Add a message (optional)",
  "fwd.send": "Send ({n})",
  "fwd.limit": "You can pick up to {n} chats.",
  "fwd.tooMany": "You can forward up to {n} messages at a time.",
  "fwd.none": "No chats found.",
  "fwd.done": "Forwarded",
  "fwd.nothing": "Select the messages to forward.",

  // Chat history (合并转发)
  "record.label": "Chat history",
  "record.titleDirect": "Chat history of {a} and {b}",
  "record.titleOne": "Chat history of {a}",
  "record.titleGroup": "Group chat history",
  "record.count": "{n} messages",
  "record.count.one": "1 message",
  "record.open": "Open {title}",
  "record.line": "{name}: {text}",

  // Voice messages
  "voice.record": "Record a voice message",
  "voice.hold": "Hold to talk",
  "voice.release": "Release to send, slide away to cancel",
  "voice.recording": "Recording {time}",
  "voice.left": "{s} s left",
  "voice.send": "Send",
  "voice.tooShort": "Too short to send.",
  "voice.denied": "Microphone access is blocked. Allow it in your browser's site settings to record.",
  "voice.unsupported": "This browser cannot record audio.",
  "voice.failed": "The recording could not be made.",
  "voice.play": "Play voice message ({s} s)",
  "voice.pause": "Pause voice message",
  "voice.unplayed": "Not played yet",
  "voice.seconds": "{s}\u2033",

  "error.NOT_FORWARDABLE": "This message cannot be forwarded.",
  "error.MIXED_CONVERSATIONS": "Forward messages of one chat at a time.",
  "error.FORWARD_TOO_LARGE": "Too much to forward as one chat history; pick fewer messages.",
  "error.FORWARD_TOO_DEEP": "Chat histories can be nested only a few levels deep.",
  "error.RECORD_NOT_FOUND": "This chat history is no longer available.",
  "error.NOT_AUDIO": "That recording is not in an audio format the server accepts.",
  "error.INVALID_DURATION": "A voice message lasts 1 to 60 seconds.",
  "error.VOICE_TOO_LARGE": "The recording is too large.",
};
