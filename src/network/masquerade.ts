// Outbound NAT for a bridge network, the way Docker does it for docker0: ONE rule per network,
//
//   iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o tsdocker0 -j MASQUERADE
//
// (packets from the containers' subnet leaving by any other device get the host's address), added
// when the network's bridge is first used and removed with the bridge. The CNI bridge plugin could
// do this itself (ipMasq), but per container: a chain and three rules, 8 runs of iptables to add
// and 6 to remove, about 10 ms each here, which was most of the time a container's network took.
//
// bridge.ts remembers for the rest of the boot that the rule is in, so starting a container runs
// no iptables at all. See iptables-extensions(8) MASQUERADE.
import { TsdockerError } from '../errors';
import { runProgram } from '../sys/program';
import { trace } from '../trace';

/** The rule's match and target, as iptables takes them after -A/-C/-D POSTROUTING. */
export function masqueradeRule(dev: string, subnet: string): string[] {
  return ['-s', subnet, '!', '-o', dev, '-m', 'comment', '--comment', `tsdocker network ${dev}`, '-j', 'MASQUERADE'];
}

/** The rule as a shell would show it, for --trace. */
export function ruleText(dev: string, subnet: string): string {
  return masqueradeRule(dev, subnet).map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ');
}

function iptables(args: string[]): { status: number | null; stderr: string } {
  const r = runProgram('iptables', ['-w', '-t', 'nat', ...args]);
  if (r.error) throw new TsdockerError(`iptables: ${r.error.message} (is iptables installed?)`);
  return { status: r.status, stderr: r.stderr };
}

/** Add the network's rule if it is not there yet (call under the network lock). */
export function ensureMasquerade(dev: string, subnet: string): void {
  const rule = masqueradeRule(dev, subnet);
  if (iptables(['-C', 'POSTROUTING', ...rule]).status !== 0) {
    trace('iptables', `-A POSTROUTING ${ruleText(dev, subnet)}`);
    const r = iptables(['-A', 'POSTROUTING', ...rule]);
    if (r.status !== 0) throw new TsdockerError(`iptables -t nat -A POSTROUTING ${rule.join(' ')}: ${r.stderr.trim()}`);
  }
}

/** Remove the network's rule (with its bridge); a rule already gone is fine. */
export function removeMasquerade(dev: string, subnet: string): void {
  const rule = masqueradeRule(dev, subnet);
  if (iptables(['-C', 'POSTROUTING', ...rule]).status === 0) {
    trace('iptables', `-D POSTROUTING ${ruleText(dev, subnet)}`);
    iptables(['-D', 'POSTROUTING', ...rule]);
  }
}
