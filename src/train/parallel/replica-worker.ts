/**
 * Entry point of a replica's worker thread (see `replica.ts`); started by
 * `startReplicaPool`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveReplica } from './replica.js';
import type { ReplicaInit, ReplicaPort } from './replica-protocol.js';

if (parentPort === null) throw new Error('replica-worker.js runs as a worker thread only');
await serveReplica(parentPort as unknown as ReplicaPort, workerData as ReplicaInit);
