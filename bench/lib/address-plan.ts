// Which probe process opens which devices, and from which loopback source address: the broker caps
// connections per remote address (--mqtt-max-per-ip, 1000 by default, left on in the bench), so no
// address may carry more than `perAddress` devices across every probe of every step together.

export interface ProbePlan {
  /** First device (conn-<from>) and how many. */
  from: number;
  n: number;
  /** The source addresses this probe's devices use, in device order. */
  local: string[];
}

/** 127.0.0.2, 127.0.0.3, ... 127.0.0.254, 127.0.1.1, ... */
export function loopback(k: number): string {
  const i = k + 2;
  return `127.0.${Math.floor(i / 254)}.${(i % 254) + (i >= 254 ? 1 : 0)}`;
}

/** Probes for devices [first, first + count): `perProbe` devices each. */
export function probePlan(first: number, count: number, perProbe: number, perAddress: number): ProbePlan[] {
  const plans: ProbePlan[] = [];
  for (let from = first; from < first + count; from += perProbe) {
    const n = Math.min(perProbe, first + count - from);
    const a0 = Math.floor(from / perAddress);
    const a1 = Math.ceil((from + n) / perAddress);
    plans.push({ from, n, local: Array.from({ length: a1 - a0 }, (_, k) => loopback(a0 + k)) });
  }
  return plans;
}

/**
 * The source address of a probe's k-th device: device d always uses loopback(floor(d / perAddress)),
 * whichever probe or step opens it. Round-robin over a probe's addresses (the old way) put n / addresses
 * on each, and the two steps' probes share the address at their boundary: at 10,000 devices in two
 * steps of 5,000 that was 833 + 715 = 1,548 devices on 127.0.0.7, 548 over the broker's cap, refused
 * five times each ("closed before CONNACK") with the retries' pauses making the second ramp 104 s.
 */
export function deviceAddress(plan: Pick<ProbePlan, 'from' | 'local'>, k: number, perAddress: number): string {
  return plan.local[Math.floor((plan.from + k) / perAddress) - Math.floor(plan.from / perAddress)];
}
