// A private redis-server (a 3-master cluster, or a primary with a replica) for the length of one benchmark phase: started with a note on the
// progress line, always stopped afterwards.
import { RedisCluster, RedisServer } from "../../test/support/redis-server.js";
import { note } from "./progress.js";

export async function withRedisServer<T>(use: (server: RedisServer) => Promise<T>): Promise<T> {
  note("starting redis-server ...");
  const server = await RedisServer.start();
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

export async function withRedisCluster<T>(use: (cluster: RedisCluster) => Promise<T>): Promise<T> {
  note("starting a 3-master redis cluster ...");
  const cluster = await RedisCluster.start();
  try {
    return await use(cluster);
  } finally {
    await cluster.stop();
  }
}

/** A primary with one replica in sync, for the length of a phase; `use` gets the primary. */
export async function withRedisReplica<T>(use: (primary: RedisServer) => Promise<T>): Promise<T> {
  note("starting redis-server with a replica ...");
  const primary = await RedisServer.start();
  const replica = await RedisServer.start({ replicaOf: primary.port });
  try {
    await replica.waitForSync();
    return await use(primary);
  } finally {
    await replica.stop();
    await primary.stop();
  }
}
