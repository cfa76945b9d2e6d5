// The keys of a composer's pop-up list (the @-mention picker, the slash-command list): arrows move
// through the options (wrapping), Enter or Tab chooses (not while an input method is composing, as
// for Chinese), Escape closes without closing what the list sits in.

/** `picker`: {open, items, active, render(), choose(index), close()}. True when the key was used. */
export function handleListKey(picker, event) {
  if (!picker.open) return false;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    picker.active = (picker.active + step + picker.items.length) % picker.items.length;
    picker.render();
    return true;
  }
  if ((event.key === "Enter" && !event.isComposing) || event.key === "Tab") {
    event.preventDefault();
    picker.choose(picker.active);
    return true;
  }
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    picker.close();
    return true;
  }
  return false;
}
