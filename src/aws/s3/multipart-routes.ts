// Multipart actions: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
// ListMultipartUploads.
import { BucketError, checksumAlgorithmOf, checksumHeaderName } from '../../events/bucket/index.ts';
import { owner } from './bucket-routes.ts';
import { conditionsOf, copySourceOf } from './object-routes.ts';
import { header, objectBody, readCheckedBody, type S3Request, storedHeaders, userMetadata } from './request.ts';
import { isoDate, sendEmpty, sendXml } from './respond.ts';
import { childText, parseXml, type XmlChild, xmlDocument } from './xml.ts';

const MAX_COMPLETE_BODY = 4 * 1024 * 1024;

function malformed(): BucketError {
  return new BucketError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
}

function uploadIdOf(r: S3Request): string {
  return r.query.get('uploadId') ?? '';
}

function partNumberOf(r: S3Request): number {
  const text = r.query.get('partNumber') ?? '';
  return /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

export async function createMultipartUpload(r: S3Request): Promise<void> {
  const named = header(r, 'x-amz-checksum-algorithm');
  const checksumAlgorithm = named === undefined ? undefined : checksumAlgorithmOf(named);
  if (named !== undefined && !checksumAlgorithm) {
    throw new BucketError('InvalidRequest', `Checksum algorithm ${named} is not supported`);
  }
  const contentType = header(r, 'content-type');
  const upload = await r.service.multipart.create(r.caller, r.bucket, r.key, {
    ...(contentType === undefined ? {} : { contentType }),
    metadata: userMetadata(r),
    headers: storedHeaders(r),
    ...(checksumAlgorithm ? { checksumAlgorithm } : {}),
  });
  sendXml(
    r.res,
    200,
    xmlDocument('InitiateMultipartUploadResult', [['Bucket', r.bucket], ['Key', r.key], ['UploadId', upload.uploadId]]),
    checksumAlgorithm ? { 'x-amz-checksum-algorithm': checksumAlgorithm } : {},
  );
}

export async function uploadPart(r: S3Request): Promise<void> {
  const copySource = header(r, 'x-amz-copy-source');
  if (copySource !== undefined) {
    const source = copySourceOf(copySource);
    const range = header(r, 'x-amz-copy-source-range');
    const part = await r.service.multipart.uploadPartCopy(
      r.caller,
      { bucket: r.bucket, key: r.key, uploadId: uploadIdOf(r), partNumber: partNumberOf(r) },
      { bucket: source.bucket, key: source.key, conditions: conditionsOf(r, 'x-amz-copy-source-'), ...(range === undefined ? {} : { range }) },
    );
    sendXml(r.res, 200, xmlDocument('CopyPartResult', [['LastModified', isoDate(part.lastModified)], ['ETag', part.eTag]]));
    return;
  }
  const { stream, checks } = objectBody(r);
  const part = await r.service.multipart.uploadPart(r.caller, r.bucket, r.key, uploadIdOf(r), partNumberOf(r), stream, checks);
  const headers: Record<string, string> = { etag: part.eTag };
  if (part.checksum) headers[checksumHeaderName(part.checksum.algorithm)] = part.checksum.value;
  sendEmpty(r.res, 200, headers);
}

export async function completeMultipartUpload(r: S3Request): Promise<void> {
  const document = parseXml((await readCheckedBody(r, MAX_COMPLETE_BODY)).toString('utf8'));
  if (document.name !== 'CompleteMultipartUpload') throw malformed();
  const parts = document.children
    .filter((element) => element.name === 'Part')
    .map((element) => {
      const number = childText(element, 'PartNumber')?.trim() ?? '';
      const eTag = childText(element, 'ETag')?.trim();
      if (!/^\d+$/.test(number) || eTag === undefined) throw malformed();
      return { partNumber: Number(number), eTag };
    });
  const object = await r.service.multipart.complete(r.caller, r.bucket, r.key, uploadIdOf(r), parts);
  const host = header(r, 'host') ?? 'localhost';
  const location = `http://${host}/${encodeURIComponent(r.bucket)}/${encodeURIComponent(r.key).replaceAll('%2F', '/')}`;
  const checksum: XmlChild[] = object.checksum
    ? [[`Checksum${object.checksum.algorithm}`, object.checksum.value], ['ChecksumType', object.checksum.type]]
    : [];
  sendXml(
    r.res,
    200,
    xmlDocument('CompleteMultipartUploadResult', [['Location', location], ['Bucket', r.bucket], ['Key', r.key], ['ETag', object.eTag], ...checksum]),
  );
}

export async function abortMultipartUpload(r: S3Request): Promise<void> {
  await r.service.multipart.abort(r.caller, r.bucket, r.key, uploadIdOf(r));
  sendEmpty(r.res, 204);
}

export async function listParts(r: S3Request): Promise<void> {
  const maxParts = Number(r.query.get('max-parts') ?? 1000);
  const marker = Number(r.query.get('part-number-marker') ?? 0);
  const listing = await r.service.multipart.listParts(r.caller, r.bucket, r.key, uploadIdOf(r), {
    maxParts: Number.isInteger(maxParts) && maxParts >= 0 ? maxParts : 1000,
    partNumberMarker: Number.isInteger(marker) ? marker : 0,
  });
  sendXml(
    r.res,
    200,
    xmlDocument('ListPartsResult', [
      ['Bucket', r.bucket],
      ['Key', r.key],
      ['UploadId', listing.upload.uploadId],
      ['Initiator', [['ID', r.caller.appId], ['DisplayName', r.caller.appId]]],
      owner(r),
      ['StorageClass', 'STANDARD'],
      ['PartNumberMarker', marker],
      ['NextPartNumberMarker', listing.nextPartNumberMarker ?? marker],
      ['MaxParts', maxParts],
      ['IsTruncated', listing.isTruncated],
      ...(listing.upload.checksumAlgorithm ? [['ChecksumAlgorithm', listing.upload.checksumAlgorithm] as XmlChild] : []),
      ...listing.parts.map((part): XmlChild => [
        'Part',
        [
          ['PartNumber', part.partNumber],
          ['LastModified', isoDate(part.lastModified)],
          ['ETag', part.eTag],
          ...(part.checksum ? [[`Checksum${part.checksum.algorithm}`, part.checksum.value] as XmlChild] : []),
          ['Size', part.size],
        ],
      ]),
    ]),
  );
}

export async function listMultipartUploads(r: S3Request): Promise<void> {
  const prefix = r.query.get('prefix');
  const keyMarker = r.query.get('key-marker');
  const maxUploads = Number(r.query.get('max-uploads') ?? 1000);
  const { uploads, isTruncated } = await r.service.multipart.listUploads(r.caller, r.bucket, {
    ...(prefix === undefined ? {} : { prefix }),
    ...(keyMarker === undefined ? {} : { keyMarker }),
    maxUploads: Number.isInteger(maxUploads) && maxUploads >= 0 ? maxUploads : 1000,
  });
  const last = uploads.at(-1);
  sendXml(
    r.res,
    200,
    xmlDocument('ListMultipartUploadsResult', [
      ['Bucket', r.bucket],
      ['KeyMarker', keyMarker ?? ''],
      ['UploadIdMarker', r.query.get('upload-id-marker') ?? ''],
      ['NextKeyMarker', isTruncated ? last?.key : undefined],
      ['NextUploadIdMarker', isTruncated ? last?.uploadId : undefined],
      ['Prefix', prefix],
      ['MaxUploads', maxUploads],
      ['IsTruncated', isTruncated],
      ...uploads.map((upload): XmlChild => [
        'Upload',
        [
          ['Key', upload.key],
          ['UploadId', upload.uploadId],
          ['Initiator', [['ID', r.caller.appId], ['DisplayName', r.caller.appId]]],
          owner(r),
          ['StorageClass', 'STANDARD'],
          ['Initiated', isoDate(upload.initiatedAt)],
        ],
      ]),
    ]),
  );
}
