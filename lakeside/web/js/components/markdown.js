// The one place message markup is inserted: the server's sanitized `html` of a markdown message.
// As a second lock it is parsed inertly (DOMParser runs no script and loads nothing) and rebuilt
// element by element from the same allow-list the server uses, copying only safe attributes,
// so even a server-side sanitizer bug cannot put a script or a handler on the page.

const TAGS = new Set([
  "P", "BR", "STRONG", "EM", "DEL", "S", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL", "LI", "A",
  "H1", "H2", "H3", "H4", "H5", "H6", "HR", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD",
]);
const ATTRIBUTES = { A: ["href", "title"], TH: ["align"], TD: ["align"], OL: ["start"] };
const SAFE_URL = /^(https?:|mailto:)/i;

export function renderMarkdown(html) {
  const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const fragment = document.createDocumentFragment();
  copyChildren(parsed.body, fragment);
  return fragment;
}

function copyChildren(from, to) {
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      to.append(document.createTextNode(node.data));
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      if (!TAGS.has(node.tagName)) {
        copyChildren(node, to); // keep the text of anything unexpected, never the element
        continue;
      }
      const el = document.createElement(node.tagName.toLowerCase());
      for (const name of ATTRIBUTES[node.tagName] || []) {
        const value = node.getAttribute(name);
        if (value === null) continue;
        if (name === "href" && !SAFE_URL.test(value.trim())) continue;
        el.setAttribute(name, value);
      }
      if (node.tagName === "A") {
        el.target = "_blank";
        el.rel = "noopener noreferrer nofollow";
      }
      copyChildren(node, el);
      to.append(el);
    }
  }
}
