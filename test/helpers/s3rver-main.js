'use strict';
/**
 * A real S3-compatible server for tests: s3rver 3.7.1 plus the multipart calls it lacks.
 *
 *   node --openssl-legacy-provider test/helpers/s3rver-main.js <dir> <bucket> [port]
 *
 * Prints `S3RVER_READY <port>` on stdout once listening on 127.0.0.1 (port 0 = a free one).
 * Exits on SIGTERM/SIGINT, and, when spawned with an IPC channel, once that channel closes
 * (so it does not outlive a test runner that was killed).
 *
 * Why the flag: s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3
 * only has in its legacy provider; without it every truncated listing answers 500.
 *
 * What is added (s3rver answers 405 MethodNotAllowed / 501 NotImplemented for these):
 *   DELETE /<bucket>/<key>?uploadId=ID   AbortMultipartUpload  -> 204, parts removed from disk
 *   GET    /<bucket>/<key>?uploadId=ID   ListParts
 *   GET    /<bucket>?uploads              ListMultipartUploads (prefix filter, no pagination)
 *   PUT    /<bucket>/<key>?uploadId=ID   UploadPart: NoSuchUpload for an unknown, aborted or
 *                                        completed upload (s3rver would store the part anyway,
 *                                        creating a stray upload folder, and answer 200)
 * s3rver keeps an upload in <dir>/<bucket>/._S3rver_uploads/<uploadId>/ as the files `key`,
 * `metadata`, and `<partNumber>` + `<partNumber>.md5` per part; CompleteMultipartUpload
 * removes that folder. These handlers read and remove the same folder. They skip s3rver's
 * signature check (they run before its router), which is fine for a test server.
 */
const fs = require('node:fs/promises');
const path = require('node:path');
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');

const XMLNS = { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' };

/** The folder of one upload, or undefined when the id is not a plain s3rver upload id. */
function uploadDir(store, bucket, uploadId) {
  if (typeof uploadId !== 'string' || !/^[0-9a-f]{1,64}$/.test(uploadId)) return undefined;
  return path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
}

/** The key an upload was started for, or undefined when there is no such upload. */
async function uploadKey(dir) {
  return dir ? fs.readFile(path.join(dir, 'key'), 'utf8').catch(() => undefined) : undefined;
}

function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Koa middleware for the multipart calls above; everything else goes on to s3rver. */
async function multipartExtras(ctx, next) {
  // Path style; the SDK sends bucket-level calls as `/<bucket>/?...` (empty key).
  const m = /^\/([^/]+)(?:\/(.*))?$/.exec(ctx.path);
  const method = ctx.method;
  const q = ctx.query;
  const onUpload = Boolean(m && m[2] && 'uploadId' in q && ['DELETE', 'GET', 'PUT'].includes(method));
  const onBucketUploads = Boolean(m && !m[2] && 'uploads' in q && method === 'GET');
  if (!m || !(onUpload || onBucketUploads)) return next();
  const bucket = decode(m[1]);
  if (!(await ctx.store.getBucket(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });

  if (!m[2]) return listUploads(ctx, bucket, typeof q.prefix === 'string' ? q.prefix : '');

  const key = decode(m[2]);
  const dir = uploadDir(ctx.store, bucket, q.uploadId);
  if (!dir || (await uploadKey(dir)) !== key) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: String(q.uploadId) });
  }
  if (method === 'PUT') return next(); // UploadPart to a known upload: s3rver stores it
  if (method === 'DELETE') {
    await fs.rm(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  const names = (await fs.readdir(dir)).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  const parts = await Promise.all(
    names.map(async (n) => {
      const [st, md5] = await Promise.all([fs.stat(path.join(dir, n)), fs.readFile(path.join(dir, `${n}.md5`), 'utf8').catch(() => '')]);
      return { PartNumber: Number(n), LastModified: st.mtime.toISOString(), ETag: JSON.stringify(md5), Size: st.size };
    }),
  );
  ctx.body = {
    ListPartsResult: {
      '@': XMLNS,
      Bucket: bucket,
      Key: key,
      UploadId: q.uploadId,
      PartNumberMarker: 0,
      NextPartNumberMarker: parts.length ? parts[parts.length - 1].PartNumber : 0,
      MaxParts: 10000,
      IsTruncated: false,
      StorageClass: 'STANDARD',
      ...(parts.length ? { Part: parts } : {}),
    },
  };
}

async function listUploads(ctx, bucket, prefix) {
  const root = ctx.store.getResourcePath(bucket, undefined, 'uploads');
  const ids = await fs.readdir(root).catch(() => []);
  const uploads = [];
  for (const id of ids) {
    const key = await uploadKey(uploadDir(ctx.store, bucket, id));
    if (key === undefined || !key.startsWith(prefix)) continue;
    const st = await fs.stat(path.join(root, id));
    uploads.push({ Key: key, UploadId: id, Initiated: st.birthtime.toISOString(), StorageClass: 'STANDARD' });
  }
  uploads.sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : a.Initiated.localeCompare(b.Initiated)));
  ctx.body = {
    ListMultipartUploadsResult: {
      '@': XMLNS,
      Bucket: bucket,
      KeyMarker: '',
      UploadIdMarker: '',
      Prefix: prefix,
      MaxUploads: 1000,
      IsTruncated: false,
      ...(uploads.length ? { Upload: uploads } : {}),
    },
  };
}

async function main() {
  const [dir, bucket, port] = process.argv.slice(2);
  if (!dir || !bucket) throw new Error('usage: s3rver-main.js <dir> <bucket> [port]');
  const server = new S3rver({ port: Number(port ?? 0), address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  // Koa composes `server.middleware` when run() starts listening. use() would append after
  // s3rver's router, which never calls next() for a matched route, so splice the handler in
  // just before the router: after s3rver's logger, XML body encoder and path-style rewriting.
  server.middleware.splice(server.middleware.length - 1, 0, multipartExtras);
  const address = await server.run();

  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref(); // keep-alive sockets may hold close()
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.send) process.on('disconnect', stop); // parent gone (IPC channel closed)
  process.stdout.write(`S3RVER_READY ${address.port}\n`);
}

main().catch((err) => {
  process.stderr.write(`s3rver-main: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
