import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BucketEventSource } from '../../core/app.ts';
import { matchesSource, s3Event } from './notifications.ts';
import type { ObjectEvent } from './types.ts';

const put: ObjectEvent = {
  appId: 'app_1',
  bucket: 'photos',
  key: 'uploads/Happy Face.jpg',
  size: 1024,
  eTag: 'd41d8cd98f00b204e9800998ecf8427e',
  eventName: 's3:ObjectCreated:Put',
  sequencer: '0000018F3A2B4C5D0001',
  requestId: 'C3D13FE58DE4C810',
  sourceIp: '203.0.113.7',
  time: '2024-05-01T12:00:00.000Z',
};
const removed: ObjectEvent = { ...put, eventName: 's3:ObjectRemoved:Delete', size: 0, eTag: '' };

function source(overrides: Partial<BucketEventSource> = {}): BucketEventSource {
  return { kind: 'bucket', bucket: 'photos', events: ['s3:ObjectCreated:*'], ...overrides };
}

describe('matchesSource', () => {
  it('matches wildcards, exact names and names without the s3: prefix', () => {
    assert.equal(matchesSource(source(), put), true);
    assert.equal(matchesSource(source(), removed), false);
    assert.equal(matchesSource(source({ events: ['s3:ObjectRemoved:*'] }), removed), true);
    assert.equal(matchesSource(source({ events: ['s3:ObjectCreated:Copy'] }), put), false);
    assert.equal(matchesSource(source({ events: ['ObjectCreated:Put'] }), put), true);
    assert.equal(matchesSource(source({ events: ['s3:*'] }), removed), true);
  });

  it('filters by bucket, prefix and suffix on the raw key', () => {
    assert.equal(matchesSource(source({ bucket: 'other' }), put), false);
    assert.equal(matchesSource(source({ prefix: 'uploads/', suffix: '.jpg' }), put), true);
    assert.equal(matchesSource(source({ prefix: 'thumbs/' }), put), false);
    assert.equal(matchesSource(source({ suffix: '.png' }), put), false);
  });
});

describe('s3Event', () => {
  it('builds the notification Lambda receives, the key form-encoded', () => {
    const event = s3Event([put, removed], { region: 'eu-west-1', configurationId: 'thumbnails' });
    assert.equal(event.Records.length, 2);
    const [created, deleted] = event.Records;
    assert.deepEqual({ ...created, responseElements: { ...created!.responseElements, 'x-amz-id-2': 'ID2' } }, {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2024-05-01T12:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:app_1' },
      requestParameters: { sourceIPAddress: '203.0.113.7' },
      responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'ID2' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'thumbnails',
        bucket: { name: 'photos', ownerIdentity: { principalId: 'app_1' }, arn: 'arn:aws:s3:::photos' },
        object: { key: 'uploads/Happy+Face.jpg', size: 1024, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0000018F3A2B4C5D0001' },
      },
    });
    assert.equal(deleted?.eventName, 'ObjectRemoved:Delete');
    assert.deepEqual(deleted?.s3.object, { key: 'uploads/Happy+Face.jpg', sequencer: '0000018F3A2B4C5D0001' });
  });
});
