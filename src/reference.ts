// Image references, parsed and normalised exactly as Docker does it (distribution/reference:
// reference.go for the grammar, normalize.go for Docker Hub's defaults):
//
//   ubuntu                      -> docker.io/library/ubuntu:latest   (API host registry-1.docker.io)
//   foo/bar:1.0                 -> docker.io/foo/bar:1.0
//   localhost:5000/x            -> localhost:5000/x:latest
//   my.reg/team/app@sha256:...  -> pinned by digest; a tag next to a digest is dropped
//
// The first path component is a registry host only if it contains '.' or ':', is "localhost",
// or has an uppercase letter; otherwise the image lives on Docker Hub.
import { TsdockerError } from './errors';

export const DOCKER_HUB_DOMAIN = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const LEGACY_HUB_DOMAIN = 'index.docker.io';
const NAME_TOTAL_LENGTH_MAX = 255;

// Grammar pieces, as regular expressions (reference/regexp.go).
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const HEX64_RE = /^[a-f0-9]{64}$/;

export interface Reference {
  /** Registry domain as written in names: "docker.io", "localhost:5000". */
  domain: string;
  /** Repository path inside the registry: "library/ubuntu". */
  path: string;
  /** Tag, unless the reference is pinned by digest. */
  tag?: string;
  /** "sha256:<hex>" when pinned by digest. */
  digest?: string;
}

/** Parse a user-typed reference the way `docker pull` does; "latest" is the default tag. */
export function parseReference(input: string): Reference {
  const bad = (why: string) => new TsdockerError(`invalid reference format: ${why}: "${input}"`);
  if (input === '') throw bad('empty reference');
  if (HEX64_RE.test(input)) {
    throw bad('cannot specify 64-byte hexadecimal strings as a repository name');
  }

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw bad('bad digest');
    const [algorithm, hex] = digest.split(':');
    if (algorithm === 'sha256' && !/^[a-f0-9]{64}$/.test(hex)) throw bad('bad sha256 digest');
  }

  // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw bad('bad tag');
  }

  const { domain, path } = splitDomain(rest);
  if (domain !== DOCKER_HUB_DOMAIN && !DOMAIN_RE.test(domain)) throw bad('bad registry host');
  if (path !== path.toLowerCase()) throw bad(`repository name (${path}) must be lowercase`);
  if (!PATH_RE.test(path)) throw bad('bad repository name');
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) throw bad('repository name too long');

  // A digest pins the content; Docker drops a tag written next to it (normalize.go ParseDockerRef).
  if (digest) return { domain, path, digest };
  return { domain, path, tag: tag ?? 'latest' };
}

/** splitDockerDomain from normalize.go. */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  let domain: string;
  let path: string;
  const first = slash === -1 ? '' : name.slice(0, slash);
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first === first.toLowerCase())) {
    domain = DOCKER_HUB_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(slash + 1);
  }
  if (domain === LEGACY_HUB_DOMAIN) domain = DOCKER_HUB_DOMAIN;
  if (domain === DOCKER_HUB_DOMAIN && !path.includes('/')) path = `library/${path}`;
  return { domain, path };
}

/** "docker.io/library/ubuntu" */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** "docker.io/library/ubuntu:latest" or "...@sha256:..." */
export function canonicalString(ref: Reference): string {
  return repositoryName(ref) + (ref.digest ? `@${ref.digest}` : `:${ref.tag}`);
}

/** What Docker prints: "ubuntu", "foo/bar", "localhost:5000/x" (FamiliarName). */
export function familiarName(repository: string): string {
  if (repository.startsWith(`${DOCKER_HUB_DOMAIN}/library/`) &&
      !repository.slice(`${DOCKER_HUB_DOMAIN}/library/`.length).includes('/')) {
    return repository.slice(`${DOCKER_HUB_DOMAIN}/library/`.length);
  }
  if (repository.startsWith(`${DOCKER_HUB_DOMAIN}/`)) return repository.slice(DOCKER_HUB_DOMAIN.length + 1);
  return repository;
}

/** "ubuntu:20.04", "localhost:5000/x@sha256:..." */
export function familiarString(ref: Reference): string {
  return familiarName(repositoryName(ref)) + (ref.digest ? `@${ref.digest}` : `:${ref.tag}`);
}

/** The host the Distribution API is reached at: Docker Hub's API is not at docker.io itself. */
export function apiHost(domain: string): string {
  return domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}
