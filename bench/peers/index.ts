import type { Peer, PeerName } from './types.js';

/** Loads one system's adapter only: a child process then imports one client library, not three. */
export async function loadPeer(name: PeerName): Promise<Peer> {
  switch (name) {
    case 'workmesh':
      return (await import('./workmesh.js')).workmesh;
    case 'bullmq':
      return (await import('./bullmq.js')).bullmq;
    case 'beequeue':
      return (await import('./beequeue.js')).beequeue;
  }
}

export * from './types.js';
