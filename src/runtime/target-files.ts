import type { TargetStore } from '../core/target';

/**
 * The file of an output key on this machine, for the API to send; undefined when the targets
 * are not local (S3: clients download from presigned links instead).
 */
export function localTargetFile(store: TargetStore, key: string): string | undefined {
  return store.localPath?.(key);
}
