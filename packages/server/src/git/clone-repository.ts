import fs from 'node:fs/promises';
import path from 'node:path';
import git from 'isomorphic-git';
import type { EventErrorCode } from '@metisai/sdk/schemas';
import { egressRefusalOf } from '../security/egress-guard.ts';
import { gitHttpClient } from './git-http-client.ts';

/** How a clone failed, as the `error` event's code says it. */
export type CloneErrorCode = Extract<
  EventErrorCode,
  'repository_not_found' | 'repository_auth_failed' | 'repository_unreachable' | 'repository_ref_not_found' | 'repository_too_large' | 'egress_refused'
>;

/** A clone failed for a reason the user can act on; `message` names the field at fault and never holds a credential. */
export class CloneError extends Error {
  override name = 'CloneError';
  readonly code: CloneErrorCode;
  constructor(code: CloneErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface CloneProgress {
  /** Objects received so far. */
  receivedObjects: number;
  /** Bytes received from the remote so far (every response body). */
  receivedBytes: number;
}

export interface CloneOptions {
  /** `https://…` (or `http://…`), without credentials. */
  url: string;
  /** A branch or tag; `null`: the remote's default branch. */
  ref: string | null;
  /** Commits of history to fetch. */
  depth: number;
  /** Sent as the password of HTTP Basic authentication when the remote asks (401), and to nothing else. */
  token: string | null;
  /** An empty directory on the server's disk to clone into. */
  dir: string;
  /** The `fetch` of the server's egress guard. */
  fetch: typeof fetch;
  /** Aborts the clone: it then rejects with the signal's reason. */
  signal: AbortSignal;
  /** Most bytes received, and most bytes checked out (each); past it the clone fails with `repository_too_large`. */
  limitBytes: number;
  /** Called as objects and bytes arrive (often: throttle what you do with it). */
  onProgress?: (progress: CloneProgress) => void;
}

export interface CloneResult extends CloneProgress {
  /** The commit checked out (40 hex digits). */
  commit: string;
  /** The branch checked out; `null` for a tag (a detached HEAD). */
  branch: string | null;
}

/**
 * The user name sent with a token: what the big hosts expect for access tokens over HTTPS (GitLab `oauth2`, Bitbucket
 * `x-token-auth`), GitHub's `x-access-token` elsewhere (GitHub, Gitea and most servers accept any name with a token).
 */
export function tokenUserName(url: string): string {
  const host = new URL(url).hostname.toLowerCase();
  if (host === 'gitlab.com' || host.startsWith('gitlab.')) return 'oauth2';
  if (host === 'bitbucket.org') return 'x-token-auth';
  return 'x-access-token';
}

const RECEIVING = /^Receiving objects/i;

/**
 * Clones `url` into `dir` with isomorphic-git (pure JS, on the server): `depth` commits of one branch (`ref`, else the
 * remote's default), no tags but the one asked for, no submodules, no LFS content (LFS pointers are checked out as the
 * small text files they are). Every request goes through `fetch` (the egress guard): redirects are refused. The token
 * is handed to isomorphic-git's `onAuth` only, so `.git/config` keeps the URL as given.
 *
 * Throws `CloneError` for what the user can act on (see `CloneErrorCode`), the signal's reason when aborted, anything
 * else as it came.
 */
export async function cloneRepository(options: CloneOptions): Promise<CloneResult> {
  const { signal, limitBytes } = options;
  const progress: CloneProgress = { receivedObjects: 0, receivedBytes: 0 };
  const tooLarge = (what: string) =>
    new CloneError(
      'repository_too_large',
      `repository.url: the repository ${what} more than this server's clone limit of ${limitBytes} bytes (CLONE_LIMIT_BYTES)`,
    );
  let checkedOutBytes = 0;
  const gitdir = path.join(options.dir, '.git');
  const checkAborted = () => {
    if (signal.aborted) throw signal.reason;
  };
  // The file system isomorphic-git writes through: checked-out bytes are counted, and an abort stops a checkout.
  const countedFs = {
    promises: {
      readFile: fs.readFile,
      writeFile: async (file: string, data: Uint8Array | string, encoding?: unknown) => {
        checkAborted();
        if (!file.startsWith(`${gitdir}${path.sep}`)) {
          checkedOutBytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
          if (checkedOutBytes > limitBytes) throw tooLarge('checks out');
        }
        return fs.writeFile(file, data, encoding as Parameters<typeof fs.writeFile>[2]);
      },
      unlink: fs.unlink,
      readdir: fs.readdir,
      mkdir: fs.mkdir,
      rmdir: fs.rmdir,
      rm: fs.rm,
      stat: fs.stat,
      lstat: fs.lstat,
      readlink: fs.readlink,
      symlink: fs.symlink,
      chmod: fs.chmod,
    },
  };
  const http = gitHttpClient({
    fetch: options.fetch,
    signal,
    onReceived: (bytes) => {
      progress.receivedBytes += bytes;
      if (progress.receivedBytes > limitBytes) throw tooLarge('sends');
      options.onProgress?.({ ...progress });
    },
  });
  let hasAsked = false;
  try {
    await git.clone({
      fs: countedFs,
      http,
      dir: options.dir,
      url: options.url,
      ...(options.ref ? { ref: options.ref } : {}),
      depth: options.depth,
      singleBranch: true,
      noTags: !options.ref,
      onAuth: () => {
        // No token, or a second challenge: give up (isomorphic-git then fails with UserCanceledError).
        if (!options.token || hasAsked) return { cancel: true };
        hasAsked = true;
        return { username: tokenUserName(options.url), password: options.token };
      },
      onProgress: (event) => {
        if (!RECEIVING.test(event.phase)) return;
        progress.receivedObjects = event.loaded;
        options.onProgress?.({ ...progress });
      },
    });
    checkAborted();
    // isomorphic-git writes a portable `core` section (no file modes, no symlinks, case-insensitive); the sandbox is
    // Linux, where git in the sandbox should see modes and links as they were checked out, like `git clone` there.
    for (const [key, value] of [
      ['core.filemode', true],
      ['core.symlinks', true],
      ['core.ignorecase', false],
    ] as const) {
      await git.setConfig({ fs: countedFs, dir: options.dir, path: key, value });
    }
    const commit = await git.resolveRef({ fs: countedFs, dir: options.dir, ref: 'HEAD' });
    const branch = (await git.currentBranch({ fs: countedFs, dir: options.dir })) ?? null;
    return { ...progress, commit, branch };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw describeCloneFailure(error, options, hasAsked);
  }
}

/** Whether `error` is one of isomorphic-git's own errors (each of its `Errors` classes). */
const isGitError = (error: unknown): error is Error & { code: string } =>
  Object.values(git.Errors).some((ErrorClass) => typeof ErrorClass === 'function' && error instanceof ErrorClass);

/**
 * What a failure of isomorphic-git (or of the network under it) means for the user, as a `CloneError` when it says.
 * Any other error of isomorphic-git (its errors carry a string `code`: a pack or a checkout that failed) is the remote's
 * answer that could not be cloned, `repository_unreachable`; only what is not git's (a full disk) is answered as it is.
 */
export function describeCloneFailure(error: unknown, options: Pick<CloneOptions, 'url' | 'ref' | 'token'>, hasSentToken: boolean): unknown {
  if (error instanceof CloneError) return error;
  const refusal = egressRefusalOf(error);
  if (refusal) return new CloneError('egress_refused', `repository.url: ${refusal.message}`, { cause: error });
  const code = (error as { code?: unknown }).code;
  const where = `repository.url: ${options.url}`;
  if (code === 'HttpError') {
    const status = Number((error as { data?: { statusCode?: unknown } }).data?.statusCode);
    if (status === 401 || status === 403) {
      return new CloneError(
        'repository_auth_failed',
        hasSentToken || options.token
          ? `${where} refused the token of repository.token_secret (HTTP ${status})`
          : `${where} asks for credentials (HTTP ${status}): name a secret holding an access token in repository.token_secret`,
      );
    }
    if (status === 404) return new CloneError('repository_not_found', `${where} has no repository (HTTP 404); a private one needs repository.token_secret`);
    return new CloneError('repository_unreachable', `${where} answered HTTP ${status}`);
  }
  if (code === 'UserCanceledError') {
    return new CloneError(
      'repository_auth_failed',
      options.token
        ? `${where} refused the token of repository.token_secret (HTTP 401)`
        : `${where} asks for credentials (HTTP 401): name a secret holding an access token in repository.token_secret`,
    );
  }
  if (code === 'SmartHttpError' || code === 'EmptyServerResponseError') {
    return new CloneError('repository_not_found', `${where} did not answer as a git server (smart HTTP)`);
  }
  if (code === 'NotFoundError' && options.ref) {
    return new CloneError('repository_ref_not_found', `repository.ref: the repository has no branch or tag "${options.ref}"`);
  }
  if (code === 'NotFoundError') {
    // No ref asked for, and the remote's HEAD leads to no commit: an empty repository (isomorphic-git then looks for
    // `refs/heads/master`), or a HEAD naming a branch that does not exist.
    return new CloneError(
      'repository_ref_not_found',
      `repository.ref: ${options.url} has no default branch to check out (the repository is empty, or its HEAD names no branch): push a commit first, or name a branch or tag in repository.ref`,
    );
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : 'no connection';
    return new CloneError('repository_unreachable', `${where} cannot be reached (${detail})`, { cause: error });
  }
  if (isGitError(error)) {
    return new CloneError('repository_unreachable', `${where}: what the server sent could not be cloned (${code}: ${error.message})`, { cause: error });
  }
  return error;
}
