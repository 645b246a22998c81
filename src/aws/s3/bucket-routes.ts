// Bucket actions: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
// ListObjects (v1 and v2), DeleteObjects.
import type { StoredObject } from '../../core/buckets.ts';
import { BucketError } from '../../events/bucket/index.ts';
import { header, readCheckedBody, type S3Request } from './request.ts';
import { isoDate, sendEmpty, sendXml } from './respond.ts';
import { child, childText, parseXml, type XmlChild, xmlDocument } from './xml.ts';

const MAX_XML_BODY = 2 * 1024 * 1024;
const MAX_DELETE_KEYS = 1000;

export function owner(r: S3Request): XmlChild {
  return ['Owner', [['ID', r.caller.appId], ['DisplayName', r.caller.appId]]];
}

export async function listBuckets(r: S3Request): Promise<void> {
  const buckets = await r.service.listBuckets(r.caller);
  sendXml(
    r.res,
    200,
    xmlDocument('ListAllMyBucketsResult', [
      owner(r),
      ['Buckets', buckets.map((bucket): XmlChild => ['Bucket', [['Name', bucket.name], ['CreationDate', isoDate(bucket.createdAt)], ['BucketRegion', bucket.region]]])],
    ]),
  );
}

export async function createBucket(r: S3Request): Promise<void> {
  const body = await readCheckedBody(r, MAX_XML_BODY);
  let region: string | undefined;
  if (body.toString('utf8').trim() !== '') {
    const config = parseXml(body.toString('utf8'));
    if (config.name !== 'CreateBucketConfiguration') throw new BucketError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
    region = childText(config, 'LocationConstraint')?.trim() || undefined;
  }
  await r.service.createBucket(r.caller, r.bucket, region);
  sendEmpty(r.res, 200, { location: `/${r.bucket}` });
}

export async function headBucket(r: S3Request): Promise<void> {
  const bucket = await r.service.headBucket(r.caller, r.bucket);
  sendEmpty(r.res, 200, { 'x-amz-bucket-region': bucket.region });
}

export async function deleteBucket(r: S3Request): Promise<void> {
  await r.service.deleteBucket(r.caller, r.bucket);
  sendEmpty(r.res, 204);
}

export async function getBucketLocation(r: S3Request): Promise<void> {
  const bucket = await r.service.headBucket(r.caller, r.bucket);
  // us-east-1 is the empty LocationConstraint, for historical reasons.
  sendXml(r.res, 200, xmlDocument('LocationConstraint', bucket.region === 'us-east-1' ? '' : bucket.region));
}

/** Keys in listings: as they are, or percent-encoded for `encoding-type=url` (`/` kept). */
function encoder(r: S3Request): (value: string | undefined) => string | undefined {
  const encodingType = r.query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new BucketError('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  if (encodingType !== 'url') return (value) => value;
  return (value) => value === undefined ? undefined : encodeURIComponent(value).replaceAll('%2F', '/');
}

function maxKeysOf(r: S3Request): number | undefined {
  const text = r.query.get('max-keys');
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new BucketError('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: text });
  return Number(text);
}

export async function listObjects(r: S3Request, version: 1 | 2): Promise<void> {
  const encode = encoder(r);
  const prefix = r.query.get('prefix');
  const delimiter = r.query.get('delimiter') || undefined;
  const maxKeys = maxKeysOf(r) ?? 1000;
  const token = r.query.get('continuation-token');
  const startAfter = version === 2 ? r.query.get('start-after') : r.query.get('marker');
  const listing = await r.service.listObjectsV2(r.caller, r.bucket, {
    ...(prefix === undefined ? {} : { prefix }),
    ...(delimiter === undefined ? {} : { delimiter }),
    maxKeys,
    ...(version === 2 && token !== undefined ? { continuationToken: token } : {}),
    ...(startAfter ? { startAfter } : {}),
  });
  const fetchOwner = version === 1 || r.query.get('fetch-owner') === 'true';
  const contents = listing.contents.map((object: StoredObject): XmlChild => [
    'Contents',
    [
      ['Key', encode(object.key)],
      ['LastModified', isoDate(object.lastModified)],
      ['ETag', object.eTag],
      ['ChecksumAlgorithm', object.checksum?.algorithm],
      ['ChecksumType', object.checksum?.type],
      ['Size', object.size],
      ...(fetchOwner ? [owner(r)] : []),
      ['StorageClass', 'STANDARD'],
    ],
  ]);
  const common = listing.commonPrefixes.map((value): XmlChild => ['CommonPrefixes', [['Prefix', encode(value)]]]);
  const paging: XmlChild[] =
    version === 2
      ? [
          ['KeyCount', listing.contents.length + listing.commonPrefixes.length],
          ['ContinuationToken', token],
          ['NextContinuationToken', listing.nextContinuationToken],
          ['StartAfter', encode(startAfter)],
        ]
      : [
          ['Marker', encode(startAfter ?? '')],
          ['NextMarker', listing.isTruncated && delimiter !== undefined ? encode(listing.lastListed) : undefined],
        ];
  sendXml(
    r.res,
    200,
    xmlDocument('ListBucketResult', [
      ['Name', r.bucket],
      ['Prefix', encode(prefix ?? '')],
      ...paging,
      ['MaxKeys', maxKeys],
      ['Delimiter', encode(delimiter)],
      ['EncodingType', r.query.get('encoding-type')],
      ['IsTruncated', listing.isTruncated],
      ...contents,
      ...common,
    ]),
  );
}

export async function deleteObjects(r: S3Request): Promise<void> {
  if (header(r, 'content-md5') === undefined && !Object.keys(r.req.headers).some((name) => /^x-amz-checksum-(crc32c?|sha1|sha256)$/.test(name))) {
    throw new BucketError('InvalidRequest', 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');
  }
  const document = parseXml((await readCheckedBody(r, MAX_XML_BODY)).toString('utf8'));
  if (document.name !== 'Delete') throw new BucketError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  const quiet = childText(document, 'Quiet')?.trim() === 'true';
  const objects = document.children.filter((element) => element.name === 'Object');
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) {
    throw new BucketError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  }
  const keys = objects.map((element) => {
    const key = child(element, 'Key');
    if (!key) throw new BucketError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
    return key.text;
  });
  const result = await r.service.deleteObjects(r.caller, r.bucket, keys);
  sendXml(
    r.res,
    200,
    xmlDocument('DeleteResult', [
      ...(quiet ? [] : result.deleted.map((key): XmlChild => ['Deleted', [['Key', key]]])),
      ...result.errors.map((error): XmlChild => ['Error', [['Key', error.key], ['Code', error.code], ['Message', error.message]]]),
    ]),
  );
}
