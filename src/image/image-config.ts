// The image configuration (OCI image-spec config.md; Docker's image JSON is the same shape).
// It says how to run the image (Env, Entrypoint, Cmd, ...) and lists the layers' uncompressed
// digests (rootfs.diff_ids), which tie the config to the layers it was built from.
import { TsdockerError } from '../errors';

export interface ContainerConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** Parse and check the parts tsdocker relies on; everything else is kept as it came. */
export function parseImageConfig(body: Buffer | string, what: string): ImageConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString());
  } catch (err) {
    throw new TsdockerError(`image config of ${what} is not valid JSON: ${(err as Error).message}`);
  }
  const cfg = raw as ImageConfig;
  if (typeof cfg !== 'object' || cfg === null || cfg.rootfs?.type !== 'layers' || !Array.isArray(cfg.rootfs.diff_ids)) {
    throw new TsdockerError(`image config of ${what} has no rootfs.diff_ids`);
  }
  for (const d of cfg.rootfs.diff_ids) {
    if (typeof d !== 'string' || !DIGEST_RE.test(d)) throw new TsdockerError(`image config of ${what} has a bad diff_id: ${String(d)}`);
  }
  return cfg;
}
