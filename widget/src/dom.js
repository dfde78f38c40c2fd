// Building DOM nodes. Text from the network only ever goes in as text nodes; attribute names
// are always ours.

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const name of Object.keys(attrs)) {
      const value = attrs[name];
      if (value != null && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

// Styles without 'unsafe-inline': constructable stylesheets are not subject to style-src. Older
// browsers get a <style> element carrying the nonce the host passed us, if any.
export function adopt(root, css, nonce) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    const style = el("style", nonce ? { nonce } : null, css);
    root.append(style);
  }
}
