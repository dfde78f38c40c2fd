// A small, safe Markdown subset for answers: paragraphs, headings as bold lines, bullet and
// numbered lists, fenced and inline code, **bold**, and [links](…) whose target is http or
// https. The result is built from elements and text nodes: nothing from the network is ever
// parsed as HTML, so `<img onerror=…>` stays the literal text it is.
import { el } from "../dom.js";

const INLINE = /`([^`\n]+)`|\*\*([^*\n]+)\*\*|\[([^\]\n]+)\]\(([^)\s]+)\)/g;
const ITEM = /^\s{0,3}(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/;
const FENCE = /^\s{0,3}```/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*)$/;

export function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export function link(href, text) {
  return el("a", { href, target: "_blank", rel: "noopener noreferrer" }, text);
}

function inline(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1] !== undefined) out.push(el("code", null, m[1]));
    else if (m[2] !== undefined) out.push(el("strong", null, m[2]));
    else {
      const href = safeUrl(m[4]);
      out.push(href ? link(href, m[3]) : m[3]); // an unsafe link keeps only its text
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function render(text) {
  const out = document.createDocumentFragment();
  let paragraph = [];
  let list = null;
  let code = null;
  const endParagraph = () => {
    if (paragraph.length) out.append(el("p", null, ...inline(paragraph.join("\n"))));
    paragraph = [];
  };
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    if (code) {
      if (FENCE.test(line)) code = null;
      else code.append((code.firstChild ? "\n" : "") + line);
      continue;
    }
    if (FENCE.test(line)) {
      endParagraph();
      list = null;
      code = el("code");
      out.append(el("pre", null, code));
      continue;
    }
    const item = ITEM.exec(line);
    if (item) {
      endParagraph();
      const tag = item[1] ? "ul" : "ol";
      if (!list || list.localName !== tag) {
        list = el(tag, tag === "ol" && item[2] !== "1" ? { start: +item[2] } : null);
        out.append(list);
      }
      list.append(el("li", null, ...inline(item[3])));
      continue;
    }
    if (!line.trim()) {
      endParagraph();
      list = null;
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      list.lastChild.append(" ", ...inline(line.trim())); // a wrapped list item
      continue;
    }
    list = null;
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      out.append(el("p", null, el("strong", null, ...inline(heading[1]))));
    } else paragraph.push(line);
  }
  endParagraph();
  return out;
}
