import type { TargetStore } from '../core/target';
import { LocalTargetStore } from '../targets/local';
import { S3TargetStore } from '../targets/s3';
import { makeS3Client } from '../targets/s3-client';
import type { NectarConfig } from './config';

/** The target store the configuration selects: local folder, or S3 when NECTAR_ENV is not `local` (as datanectar's ENV). */
export function createTargetStore(config: NectarConfig): TargetStore {
  if (config.env === 'local') return new LocalTargetStore(config.targets);
  const client = makeS3Client({ ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}), maxAttempts: config.s3MaxAttempts });
  return new S3TargetStore({ client, bucket: config.bucket as string });
}

/** Start-up check: S3 answers what to fix (missing bucket, refused credentials, unreachable endpoint). */
export async function checkTargetStore(store: TargetStore): Promise<void> {
  if (store instanceof S3TargetStore) await store.check();
}
