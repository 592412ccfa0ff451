import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { SANDBOX_LABELS } from './sandbox-labels.ts';

/**
 * Finds the Docker engine's process and runs `$0` (the inner script, with `$1…` its arguments) with `sh` in the
 * engine's mount and network namespaces: the host's own `sh`, `iptables` and `ip`, on the host's network stack, whatever
 * the helper image holds. The engine's namespaces, not PID 1's: on some hosts PID 1 is not readable, and the engine's
 * network namespace is where its own rules live.
 */
const ENTER_ENGINE_NAMESPACES = `for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = dockerd ] && { P=\${d#/proc/}; break; }; done
[ -n "\${P:-}" ] || { echo "no dockerd process is visible from a container with --pid host" >&2; exit 3; }
inner=$0; exec nsenter -t "$P" -m -n -- sh -c "$inner" metisai-host-helper "$@"`;

export interface HostHelperResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Splits the engine's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) into stdout and stderr. */
function demux(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (let offset = 0; offset + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset + 4);
    const frame = buffer.subarray(offset + 8, offset + 8 + size);
    (buffer[offset] === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * Runs `script` (POSIX sh, arguments `args`) on the Docker host, as root in the engine's mount and network namespaces,
 * through a short-lived container of `image` (it needs `sh` and util-linux's `nsenter`, as Debian-based images have).
 * The container sees the host's processes (`--pid host`) and holds only the capabilities entering those namespaces and
 * changing the firewall take (`SYS_ADMIN`, `SYS_CHROOT`, `SYS_PTRACE`, `NET_ADMIN`, `NET_RAW`), with AppArmor off
 * (its Docker profile forbids reading other processes' namespaces); it has no network of its own and is removed after.
 * Anyone who can reach the engine's socket can do this: it gives the server nothing it did not have.
 */
export async function runOnHost(docker: Docker, image: string, script: string, args: readonly string[] = []): Promise<HostHelperResult> {
  const container = await docker.createContainer({
    name: `metisai-host-helper-${randomBytes(4).toString('hex')}`,
    Image: image,
    User: '0:0',
    Entrypoint: ['sh', '-c', ENTER_ENGINE_NAMESPACES, script, ...args],
    Cmd: [],
    Labels: { [SANDBOX_LABELS.helper]: 'host' },
    HostConfig: {
      PidMode: 'host',
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      CapAdd: ['SYS_ADMIN', 'SYS_CHROOT', 'SYS_PTRACE', 'NET_ADMIN', 'NET_RAW'],
      SecurityOpt: ['apparmor=unconfined', 'no-new-privileges:true'],
      LogConfig: { Type: 'json-file', Config: {} },
      RestartPolicy: { Name: 'no' },
    },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: StatusCode, ...demux(logs) };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
