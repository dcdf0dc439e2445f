import { createServer, type Server } from "node:net";

// Free loopback ports for servers the tests and the bench start. No side
// effects at import (server.ts checks TEST_POSTGRES_URL when imported), so
// the bench can use it too.

/**
 * `count` distinct free ports on the loopback interface. Every probe stays
 * bound until all are: probes closed one at a time may be handed the same port
 * twice (which once gave a server the same PORT and ADMIN_PORT).
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const probe = createServer();
          probe.once("error", reject);
          probe.listen(0, "127.0.0.1", () => resolve(probe));
        }),
    ),
  );
  const ports = probes.map((probe) => {
    const address = probe.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}
