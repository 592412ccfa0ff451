import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a repository of the test server starts with: files by path, committed on `main`, plus more branches and tags. */
export interface RepositoryContent {
  files: Record<string, string>;
  /** Executable files (mode 755). */
  executables?: string[];
  /** Symlinks: path → target. */
  symlinks?: Record<string, string>;
  /** Another branch with one more commit on top of `main`: branch → files added or changed. */
  branches?: Record<string, Record<string, string>>;
  /** Tags of `main`'s tip. */
  tags?: string[];
  /** Commits before the last one (history for `depth`), each changing `history.txt`. */
  earlierCommits?: number;
  /** The branch the bare repository's HEAD names (default `main`); a missing one leaves HEAD leading nowhere. */
  head?: string;
}

export interface GitServer {
  /** `http://localhost:<port>`: a name that resolves to loopback (the server listens on 127.0.0.1). */
  url: string;
  /** The clone URL of a repository: `<url>/<name>.git`. */
  urlOf(name: string): string;
  /** Creates `<name>.git` with `content` pushed to it; answers the commit of `main`'s tip. */
  createRepository(name: string, content: RepositoryContent): Promise<string>;
  /** Creates `<name>.git` without any commit, as a newly made repository on GitHub is. */
  createEmptyRepository(name: string): Promise<void>;
  /** Every request served, in order (method, path and query, whether it carried `Authorization`). */
  requests: Array<{ method: string; url: string; hasAuth: boolean }>;
  /** Makes every response body wait `ms` before each chunk it sends (a slow remote); 0: none. */
  slowDown(ms: number): void;
  /** Makes every request wait until `release()` is called (a clone that hangs); answers `release`. */
  hold(): () => void;
  close(): Promise<void>;
}

const gitEnv = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};
const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env: { ...process.env, ...gitEnv } });

/**
 * A git smart-HTTP server for tests: `git http-backend` run as CGI (asynchronously: this process serves the requests)
 * behind a small Node `http` server on 127.0.0.1. With `auth`, every request must carry HTTP Basic credentials whose
 * password is `auth.password` (any user name), or it gets 401 with `WWW-Authenticate`, as GitHub and GitLab answer.
 */
export async function startGitServer(options: { auth?: { password: string } } = {}): Promise<GitServer> {
  const root = await mkdtemp(path.join(tmpdir(), 'metis-git-'));
  const requests: GitServer['requests'] = [];
  let held: Promise<void> | null = null;
  let chunkDelayMs = 0;
  const children = new Set<ChildProcess>();

  const server = http.createServer(async (req, res) => {
    const authorization = req.headers.authorization;
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '', hasAuth: authorization !== undefined });
    if (held) await held;
    if (options.auth) {
      const password = authorization?.startsWith('Basic ')
        ? Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':').slice(1).join(':')
        : null;
      if (password !== options.auth.password) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"', 'Content-Type': 'text/plain' }).end('Authentication required\n');
        return;
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const child = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_ADDR: '127.0.0.1',
        REMOTE_USER: options.auth ? 'user' : '',
      },
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    req.pipe(child.stdin);
    // CGI: headers, a blank line, then the body.
    let head = Buffer.alloc(0);
    let isBody = false;
    /** The body chunks held back by `slowDown`, written in order; the response ends after them. */
    let written = Promise.resolve();
    child.stdout.on('data', (chunk: Buffer) => {
      if (isBody) {
        if (chunkDelayMs > 0) {
          child.stdout.pause();
          const delay = chunkDelayMs;
          written = written.then(
            () =>
              new Promise<void>((resolve) =>
                setTimeout(() => {
                  res.write(chunk);
                  child.stdout.resume();
                  resolve();
                }, delay),
              ),
          );
        } else res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      isBody = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    child.stdout.once('end', () => void written.then(() => res.end()));
    child.once('error', () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;

  return {
    url,
    urlOf: (name) => `${url}/${name}.git`,
    requests,
    async createRepository(name, content) {
      const bare = path.join(root, `${name}.git`);
      await git(root, 'init', '--bare', '--initial-branch=main', bare);
      const work = await mkdtemp(path.join(tmpdir(), 'metis-git-work-'));
      try {
        await git(work, 'init', '--initial-branch=main');
        for (let index = 0; index < (content.earlierCommits ?? 0); index++) {
          await writeFile(path.join(work, 'history.txt'), `version ${index}\n`);
          await git(work, 'add', '-A');
          await git(work, 'commit', '-m', `earlier ${index}`);
        }
        const write = async (files: Record<string, string>) => {
          for (const [file, text] of Object.entries(files)) {
            await mkdir(path.dirname(path.join(work, file)), { recursive: true });
            await writeFile(path.join(work, file), text);
          }
        };
        await write(content.files);
        for (const file of content.executables ?? []) await run('chmod', ['755', path.join(work, file)]);
        for (const [link, target] of Object.entries(content.symlinks ?? {})) await run('ln', ['-s', target, path.join(work, link)]);
        await git(work, 'add', '-A');
        await git(work, 'commit', '-m', 'main');
        const { stdout } = await git(work, 'rev-parse', 'HEAD');
        for (const tag of content.tags ?? []) await git(work, 'tag', tag);
        await git(work, 'push', bare, 'main', ...(content.tags ?? []).map((tag) => `refs/tags/${tag}`));
        for (const [branch, files] of Object.entries(content.branches ?? {})) {
          await git(work, 'checkout', '-b', branch, 'main');
          await write(files);
          await git(work, 'add', '-A');
          await git(work, 'commit', '-m', branch);
          await git(work, 'push', bare, branch);
          await git(work, 'checkout', 'main');
        }
        if (content.head) await git(bare, 'symbolic-ref', 'HEAD', `refs/heads/${content.head}`);
        return stdout.trim();
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    async createEmptyRepository(name) {
      await git(root, 'init', '--bare', '--initial-branch=main', path.join(root, `${name}.git`));
    },
    slowDown(ms) {
      chunkDelayMs = ms;
    },
    hold() {
      let release!: () => void;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        held = null;
        release();
      };
    },
    async close() {
      for (const child of children) child.kill();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
