// What the daemon does with a flush request (postqueue -f / -i / -s), as a ready handler for
// listenForFlush. Postfix semantics:
//   -f      every deferred message becomes due now -> moved to incoming for the scheduler;
//   -i ID   the same for one message (silently nothing if it is not deferred);
//   -s site fast flush needs the flush service's per-site logs (fast_flush_domains), which
//           Outpost does not keep: refused with Postfix's wording for an unconfigured site.
import type { FlushHandler } from './flush-trigger.js';
import type { QueueStore } from './queue-store.js';

export function deferredFlushHandler(store: QueueStore, onQueued: () => void): FlushHandler {
  return async (req) => {
    if (req.kind === 'site') throw new Error(`Flush service is not configured for destination "${req.site}"`);
    const ids = req.kind === 'all' ? await store.list('deferred') : [req.id];
    let moved = 0;
    for (const id of ids) if (await store.move(id, 'deferred', 'incoming')) moved++;
    if (moved > 0) onQueued();
  };
}
