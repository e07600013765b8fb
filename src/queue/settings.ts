// The main.cf values the queue needs, as a plain object so the queue does not depend on the
// config engine (src/config builds this from main.cf; tests build it by hand).
export interface QueueSettings {
  /** queue_directory (Postfix default /var/spool/postfix). */
  queueDirectory: string;
  /** enable_long_queue_ids (default no). */
  enableLongQueueIds: boolean;
  /**
   * fsync the destination directory after each new file's rename. Default: only off Linux,
   * where a file fsync after the rename is not known to commit the rename (queue-writer.ts).
   */
  directoryFsyncOnCommit?: boolean;
  /**
   * Commit new incoming and held messages into queue segments (many messages per file, one
   * fsync per batch; segment-writer.ts) instead of one file each. Only the daemon sets it;
   * every queue tool reads segments either way.
   */
  segmentCommit?: boolean;
  /**
   * This process is the daemon: it deletes emptied segments and compacts old ones. Default:
   * segmentCommit. Queue tools never do, since the daemon may be appending to a segment
   * that is empty for a moment.
   */
  maintainSegments?: boolean;
}
