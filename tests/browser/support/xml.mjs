// A small, strict XML reader for the GeoReport v2 answers (elements, attributes, text, the five
// predefined entities and character references, comments, the XML declaration; no DTDs). It
// throws on anything not well-formed, so a test reading an answer also proves it well-formed.

const ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text, at) {
  return text.replace(/&([^;&<]*);?/g, (m, name) => {
    if (!m.endsWith(';')) throw new Error(`XML: a bare & near offset ${at}`);
    if (name in ENTITIES) return ENTITIES[name];
    const num = /^#x([0-9a-fA-F]+)$/.exec(name) ?? /^#([0-9]+)$/.exec(name);
    if (num) return String.fromCodePoint(parseInt(num[1], name[1] === 'x' ? 16 : 10));
    throw new Error(`XML: unknown entity &${name}; near offset ${at}`);
  });
}

// Parses `text` into { name, attributes, children: [element...], text } for the root element.
export function parseXml(text) {
  let i = 0;
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) throw new Error('XML: unterminated declaration');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw new Error('XML: unterminated comment');
        i = end + 3;
      } else {
        return;
      }
    }
  };
  const nameAt = () => {
    const m = /^[A-Za-z_][\w.-]*(:[\w.-]+)?/.exec(text.slice(i, i + 200));
    if (!m) throw new Error(`XML: a name expected at offset ${i}`);
    i += m[0].length;
    return m[0];
  };
  const element = () => {
    if (text[i] !== '<') throw new Error(`XML: an element expected at offset ${i}`);
    i++;
    const node = { name: nameAt(), attributes: {}, children: [], text: '' };
    for (;;) {
      while (/\s/.test(text[i])) i++;
      if (text.startsWith('/>', i)) {
        i += 2;
        return node;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      const attr = nameAt();
      while (/\s/.test(text[i])) i++;
      if (text[i] !== '=') throw new Error(`XML: = expected after ${attr}`);
      i++;
      while (/\s/.test(text[i])) i++;
      const q = text[i];
      if (q !== '"' && q !== "'") throw new Error(`XML: a quoted value expected for ${attr}`);
      const end = text.indexOf(q, i + 1);
      if (end < 0) throw new Error(`XML: unterminated value of ${attr}`);
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) throw new Error(`XML: < in the value of ${attr}`);
      node.attributes[attr] = decode(raw, i);
      i = end + 1;
    }
    for (;;) {
      if (i >= text.length) throw new Error(`XML: <${node.name}> is not closed`);
      if (text.startsWith('</', i)) {
        i += 2;
        const close = nameAt();
        if (close !== node.name) throw new Error(`XML: </${close}> closes <${node.name}>`);
        while (/\s/.test(text[i])) i++;
        if (text[i] !== '>') throw new Error(`XML: > expected after </${close}`);
        i++;
        return node;
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw new Error('XML: unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) throw new Error('XML: unterminated CDATA');
        node.text += text.slice(i + 9, end);
        i = end + 3;
      } else if (text[i] === '<') {
        node.children.push(element());
      } else {
        const end = text.indexOf('<', i);
        const raw = text.slice(i, end < 0 ? text.length : end);
        node.text += decode(raw, i);
        i += raw.length;
      }
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== text.length) throw new Error(`XML: content after the root element at offset ${i}`);
  return root;
}

// The children of `node` named `name`.
export function childrenNamed(node, name) {
  return node.children.filter((c) => c.name === name);
}

// The text of the child `name` of `node`, or undefined.
export function childText(node, name) {
  const c = node.children.find((x) => x.name === name);
  return c === undefined ? undefined : c.text;
}

// A flat record of an element's leaf children: { child name: text }.
export function record(node) {
  return Object.fromEntries(node.children.filter((c) => c.children.length === 0).map((c) => [c.name, c.text]));
}
