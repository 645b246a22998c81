// The little XML S3 speaks: documents written from nested elements, and the few request bodies
// (Delete, CompleteMultipartUpload, CreateBucketConfiguration) read into a tree. No DTDs, no
// external entities: only the five predefined entities and character references are known.
import { BucketError } from '../../events/bucket/index.ts';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' } as const)[c as '&']};`);
}

/** A child element: name and value (text, or already written children); absent values vanish. */
export type XmlChild = readonly [string, string | number | boolean | XmlChild[] | undefined | null];

function write(children: readonly XmlChild[]): string {
  let out = '';
  for (const [name, value] of children) {
    if (value === undefined || value === null) continue;
    const inner = Array.isArray(value) ? write(value) : escapeXml(String(value));
    out += inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
  }
  return out;
}

/** A whole response document with S3's namespace on the root. */
export function xmlDocument(root: string, children: XmlChild[] | string): string {
  const inner = typeof children === 'string' ? escapeXml(children) : write(children);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${inner}</${root}>`;
}

export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((candidate) => candidate.name === name);
}

export function childText(element: XmlElement, name: string): string | undefined {
  return child(element, name)?.text;
}

function malformed(): BucketError {
  return new BucketError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    const known = ENTITIES[name];
    if (known === undefined) throw malformed();
    return known;
  });
}

/** Parses one document into its root element; namespace prefixes are dropped. MalformedXML if broken. */
export function parseXml(source: string): XmlElement {
  let at = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skip = (end: string): void => {
    const found = source.indexOf(end, at);
    if (found === -1) throw malformed();
    at = found + end.length;
  };
  while (at < source.length) {
    const open = source.indexOf('<', at);
    const text = source.slice(at, open === -1 ? source.length : open);
    const top = stack.at(-1);
    if (top) top.text += decodeEntities(text);
    else if (text.trim() !== '') throw malformed();
    if (open === -1) break;
    at = open;
    if (source.startsWith('<?', at)) skip('?>');
    else if (source.startsWith('<!--', at)) skip('-->');
    else if (source.startsWith('<![CDATA[', at)) {
      const end = source.indexOf(']]>', at);
      if (end === -1 || !top) throw malformed();
      top.text += source.slice(at + 9, end);
      at = end + 3;
    } else if (source.startsWith('<!', at)) {
      throw malformed();
    } else {
      const close = source.indexOf('>', at);
      if (close === -1) throw malformed();
      const tag = source.slice(at + 1, close);
      at = close + 1;
      if (tag.startsWith('/')) {
        const name = localName(tag.slice(1).trim());
        const done = stack.pop();
        if (!done || done.name !== name) throw malformed();
        if (stack.length === 0) root = done;
        continue;
      }
      const selfClosing = tag.endsWith('/');
      const name = localName((selfClosing ? tag.slice(0, -1) : tag).trim().split(/\s/, 1)[0] ?? '');
      if (name === '' || (root && stack.length === 0)) throw malformed();
      const element: XmlElement = { name, children: [], text: '' };
      stack.at(-1)?.children.push(element);
      if (selfClosing) {
        if (stack.length === 0) root = element;
      } else {
        stack.push(element);
      }
    }
  }
  if (!root || stack.length > 0) throw malformed();
  return root;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}
