import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { SandboxNetworkError } from '../errors.ts';
import type { NetworkPolicy } from '../sandbox.ts';
import { statusOf } from './docker-client.ts';
import { runOnHost } from './host-helper.ts';
import { INTERNAL_IPV4_RANGES } from './internal-addresses.ts';
import { SANDBOX_LABELS } from './sandbox-labels.ts';

/** The network `egress` sandboxes join when the driver names none. */
export const DEFAULT_SANDBOX_NETWORK = 'metisai-sandboxes';

/** Docker's option that turns traffic between containers of one bridge network off. */
const ICC_OPTION = 'com.docker.network.bridge.enable_icc';
const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/** The host interface of a network we create: `metis-` and 9 hex digits of the network's name (Linux allows 15 characters). */
export const bridgeNameFor = (network: string): string => `metis-${createHash('sha256').update(network).digest('hex').slice(0, 9)}`;

/**
 * The host rules of one sandbox bridge (POSIX sh, run in the engine's namespaces; `$1` is the bridge interface):
 * - forwarded traffic from the bridge (Docker's `DOCKER-USER` chain, before Docker's own accepts) to the internal ranges
 *   (`INTERNAL_IPV4_RANGES`: private, CGNAT, loopback, link-local and metadata, …) and to every subnet the host is
 *   directly connected to (its LAN, other Docker networks) is rejected;
 * - traffic from the bridge to the host itself (`INPUT`: its services, and ports it publishes through docker-proxy,
 *   which Docker's forward rules never see) is rejected;
 * - DNS (port 53) to the host's resolvers passes both, as the engine's embedded DNS forwards queries from the
 *   container's own network namespace.
 * Chains `METIS-F-<bridge>` and `METIS-I-<bridge>` are replaced atomically (`iptables-restore --noflush`), then jumped to
 * from the top of `DOCKER-USER` (or `FORWARD` when Docker keeps no `DOCKER-USER`) and `INPUT`. Idempotent. IPv6 is off
 * in sandboxes; `ip6tables` rejects the bridge's traffic to the host too where it exists.
 */
const FIREWALL_SCRIPT = `set -eu
B=$1; F="METIS-F-$B"; I="METIS-I-$B"
RESOLVERS=$(cat /etc/resolv.conf /run/systemd/resolve/resolv.conf 2>/dev/null | awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ { print $2 }' | sort -u)
LINKS=$(ip -4 route show scope link 2>/dev/null | awk '$1 ~ /^[0-9.\\/]+$/ { print $1 }' | sort -u || true)
{
  echo '*filter'
  echo ":$F - [0:0]"
  echo ":$I - [0:0]"
  for r in $RESOLVERS; do for p in udp tcp; do
    echo "-A $F -d $r -p $p --dport 53 -j RETURN"
    echo "-A $I -d $r -p $p --dport 53 -j RETURN"
  done; done
  for n in ${INTERNAL_IPV4_RANGES.join(' ')} $LINKS; do echo "-A $F -d $n -j REJECT --reject-with icmp-admin-prohibited"; done
  echo "-A $F -j RETURN"
  echo "-A $I -j REJECT --reject-with icmp-admin-prohibited"
  echo 'COMMIT'
} | iptables-restore --noflush
FWD=DOCKER-USER; iptables -n -L DOCKER-USER >/dev/null 2>&1 || FWD=FORWARD
iptables -C "$FWD" -i "$B" -j "$F" 2>/dev/null || iptables -I "$FWD" 1 -i "$B" -j "$F"
iptables -C INPUT -i "$B" -j "$I" 2>/dev/null || iptables -I INPUT 1 -i "$B" -j "$I"
if command -v ip6tables >/dev/null 2>&1; then
  ip6tables -C INPUT -i "$B" -j REJECT 2>/dev/null || ip6tables -I INPUT 1 -i "$B" -j REJECT 2>/dev/null || true
fi
echo "rules of $B installed"`;

/** Undoes `FIREWALL_SCRIPT` for bridge `$1`; missing pieces are skipped. */
const REMOVE_FIREWALL_SCRIPT = `B=$1; F="METIS-F-$B"; I="METIS-I-$B"
for FWD in DOCKER-USER FORWARD; do while iptables -D "$FWD" -i "$B" -j "$F" 2>/dev/null; do :; done; done
while iptables -D INPUT -i "$B" -j "$I" 2>/dev/null; do :; done
iptables -F "$F" 2>/dev/null; iptables -X "$F" 2>/dev/null
iptables -F "$I" 2>/dev/null; iptables -X "$I" 2>/dev/null
if command -v ip6tables >/dev/null 2>&1; then while ip6tables -D INPUT -i "$B" -j REJECT 2>/dev/null; do :; done; fi
true`;

/** Firewall rules installed in this process, by engine host and bridge: once each. */
const installed = new Map<string, Promise<void>>();

export interface SandboxNetworkOptions {
  /** The network `egress` sandboxes join; created when missing (default `metisai-sandboxes`). */
  name?: string;
  /**
   * `required` (default): an `egress` sandbox is refused (`SandboxNetworkError`) when the host rules cannot be
   * installed. `best-effort`: the failure is logged through `onLog` and sandboxes join the network without them
   * (inter-container traffic stays off) — for a single person's machine.
   */
  firewall?: 'required' | 'best-effort';
}

/**
 * The network of `egress` sandboxes: a bridge of our own (labelled, inter-container traffic off) and the host rules
 * that keep its sandboxes off the host, private ranges and metadata addresses (`FIREWALL_SCRIPT`). `none` sandboxes use
 * Docker's `none` network: loopback only.
 */
export class SandboxNetwork {
  readonly name: string;
  readonly #docker: Docker;
  readonly #firewall: 'required' | 'best-effort';
  readonly #helperImage: () => Promise<string>;
  readonly #onLog: (line: string) => void;
  readonly #onWarning: (line: string) => void;
  #ready: Promise<void> | null = null;

  /**
   * `helperImage` names (after making sure the engine has it) the image the host rules are installed from; `onLog`
   * takes progress, `onWarning` a firewall left out under `best-effort`.
   */
  constructor(
    docker: Docker,
    options: SandboxNetworkOptions & { helperImage: () => Promise<string>; onLog: (line: string) => void; onWarning: (line: string) => void },
  ) {
    this.#docker = docker;
    this.name = options.name ?? DEFAULT_SANDBOX_NETWORK;
    this.#firewall = options.firewall ?? 'required';
    this.#helperImage = options.helperImage;
    this.#onLog = options.onLog;
    this.#onWarning = options.onWarning;
  }

  /** The Docker network a sandbox with `policy` is attached to. */
  networkFor(policy: NetworkPolicy): string {
    return policy === 'egress' ? this.name : 'none';
  }

  /** The policy a container's attached networks amount to: `egress` when it is on our network, else `none`. */
  policyOf(details: Docker.ContainerInspectInfo): NetworkPolicy {
    return Object.keys(details.NetworkSettings?.Networks ?? {}).includes(this.name) ? 'egress' : 'none';
  }

  /** Makes sure the network exists and its host rules are in place (once; a failure is tried again next time). */
  ready(): Promise<void> {
    this.#ready ??= this.#prepare().catch((err: unknown) => {
      this.#ready = null;
      throw err;
    });
    return this.#ready;
  }

  /**
   * Moves an existing container (running or stopped) to the network of `policy`: off every other network first, so it
   * is never on two at once. Nothing happens when it is already there.
   */
  async apply(container: Docker.Container, details: Docker.ContainerInspectInfo, policy: NetworkPolicy): Promise<void> {
    const target = this.networkFor(policy);
    const attached = Object.keys(details.NetworkSettings?.Networks ?? {});
    if (attached.length === 1 && attached[0] === target) return;
    if (policy === 'egress') await this.ready();
    for (const name of attached.filter((network) => network !== target)) {
      await this.#docker
        .getNetwork(name)
        .disconnect({ Container: container.id, Force: true })
        .catch((err: unknown) => {
          if (statusOf(err) !== 404) throw err;
        });
    }
    if (!attached.includes(target)) await this.#docker.getNetwork(target).connect({ Container: container.id });
  }

  async #prepare(): Promise<void> {
    const bridge = await this.#ensureNetwork();
    const modem = this.#docker.modem as { socketPath?: string; host?: string };
    const key = `${modem.socketPath ?? modem.host ?? ''}|${bridge}`;
    let install = installed.get(key);
    if (!install) {
      install = this.#installFirewall(bridge);
      installed.set(key, install);
      install.catch(() => installed.delete(key));
    }
    try {
      await install;
    } catch (err) {
      if (this.#firewall === 'required') throw err;
      this.#onWarning(`[sandbox] WARNING: ${(err as Error).message}; sandboxes on ${this.name} can reach the host and private addresses`);
    }
  }

  /** Creates the network when missing; answers its bridge interface. Refuses a network that lets containers talk. */
  async #ensureNetwork(): Promise<string> {
    let details = await this.#inspect();
    if (!details) {
      try {
        await this.#docker.createNetwork({
          Name: this.name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Internal: false,
          EnableIPv6: false,
          Labels: { [SANDBOX_LABELS.network]: 'true' },
          Options: { [ICC_OPTION]: 'false', [BRIDGE_NAME_OPTION]: bridgeNameFor(this.name) },
        });
      } catch (err) {
        if (statusOf(err) !== 409) throw new SandboxNetworkError(`Creating the sandbox network ${this.name} failed: ${(err as Error).message}`, err);
      }
      details = await this.#inspect();
      if (!details) throw new SandboxNetworkError(`The sandbox network ${this.name} vanished right after it was created`);
    }
    if (details.Driver !== 'bridge' || details.Options?.[ICC_OPTION] !== 'false') {
      throw new SandboxNetworkError(
        `The network ${this.name} exists but is not a bridge with ${ICC_OPTION}=false: sandboxes on it could reach each other. Remove it (the driver creates its own) or name another`,
      );
    }
    return details.Options?.[BRIDGE_NAME_OPTION] ?? `br-${details.Id.slice(0, 12)}`;
  }

  async #inspect(): Promise<Docker.NetworkInspectInfo | null> {
    try {
      return (await this.#docker.getNetwork(this.name).inspect()) as Docker.NetworkInspectInfo;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async #installFirewall(bridge: string): Promise<void> {
    const image = await this.#helperImage();
    let result: Awaited<ReturnType<typeof runOnHost>>;
    try {
      result = await runOnHost(this.#docker, image, FIREWALL_SCRIPT, [bridge]);
    } catch (err) {
      throw new SandboxNetworkError(`Installing the host rules of ${this.name} failed: ${(err as Error).message}`, err);
    }
    if (result.exitCode !== 0) {
      throw new SandboxNetworkError(
        `Installing the host rules of ${this.name} (bridge ${bridge}) failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}. See docs/deployment.md to install them by hand`,
      );
    }
    this.#onLog(`[sandbox] host rules of network ${this.name} (bridge ${bridge}) in place`);
  }
}

/**
 * Removes a sandbox network and its host rules (tests; an operator retiring a network). Containers still attached are
 * disconnected first. `helperImage` must exist on the engine.
 */
export async function removeSandboxNetwork(docker: Docker, name: string, helperImage: string): Promise<void> {
  let details: Docker.NetworkInspectInfo;
  try {
    details = (await docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
  } catch (err) {
    if (statusOf(err) === 404) return;
    throw err;
  }
  const bridge = details.Options?.[BRIDGE_NAME_OPTION] ?? `br-${details.Id.slice(0, 12)}`;
  for (const id of Object.keys(details.Containers ?? {})) {
    await docker
      .getNetwork(name)
      .disconnect({ Container: id, Force: true })
      .catch(() => undefined);
  }
  await runOnHost(docker, helperImage, REMOVE_FIREWALL_SCRIPT, [bridge]);
  for (const key of installed.keys()) if (key.endsWith(`|${bridge}`)) installed.delete(key);
  await docker
    .getNetwork(name)
    .remove()
    .catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err;
    });
}
