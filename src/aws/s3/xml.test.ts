import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childText, parseXml, xmlDocument } from './xml.ts';

describe('S3 XML', () => {
  it('writes documents with the S3 namespace, escaping text and dropping absent values', () => {
    assert.equal(
      xmlDocument('CopyObjectResult', [['ETag', '"abc"'], ['Missing', undefined], ['Key', 'a<b&c'], ['Empty', ''], ['N', 3]]),
      '<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<ETag>&quot;abc&quot;</ETag><Key>a&lt;b&amp;c</Key><Empty/><N>3</N></CopyObjectResult>',
    );
  });

  it('reads a Delete document with a declaration, namespace, entities and CDATA', () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>' +
        '<Object><Key>a&amp;b &#x263A;</Key></Object><Object><Key><![CDATA[<raw>]]></Key><VersionId/></Object></Delete>',
    );
    assert.equal(root.name, 'Delete');
    assert.equal(childText(root, 'Quiet'), 'true');
    assert.deepEqual(root.children.filter((c) => c.name === 'Object').map((o) => childText(o, 'Key')), ['a&b ☺', '<raw>']);
  });

  it('refuses broken documents and entity declarations with MalformedXML', () => {
    for (const bad of ['<a><b></a>', '<a>', 'text', '<a/><b/>', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', '<a>&unknown;</a>']) {
      assert.throws(() => parseXml(bad), { s3Code: 'MalformedXML' }, bad);
    }
  });
});
