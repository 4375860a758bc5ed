import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface S3ClientSettings {
  /** For S3-compatible stores (MinIO, Ceph, s3rver): path-style URLs, checksums only when required. */
  endpoint?: string;
  /** Default us-east-1 (the configuration reads AWS_REGION). */
  region?: string;
  /** Attempts per request, first included (default 5): 5xx, throttling and resets are retried with backoff. */
  maxAttempts?: number;
}

/**
 * An S3 client with credentials from the SDK's usual provider chain (environment, profile,
 * instance role). With a custom endpoint, request and response checksums are sent only when
 * required: recent SDKs stream bodies aws-chunked with a CRC trailer, which some S3-compatible
 * stores store inside the object (silent corruption) or refuse.
 */
export function makeS3Client(s: S3ClientSettings): S3Client {
  const config: S3ClientConfig = {
    region: s.region ?? 'us-east-1',
    maxAttempts: s.maxAttempts ?? 5,
    retryMode: 'standard',
  };
  if (s.endpoint) {
    config.endpoint = s.endpoint;
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(config);
}
